#include "pledges/pledge_state.hpp"

#include <algorithm>
#include <array>

namespace supportd::pledges {
namespace {

using enum pledge_state;
using enum pledge_event;

constexpr std::array<transition, 21> table = {{
    {pending, checkout_completed, false, paid},
    {pending, checkout_completed, true, active},
    {pending, async_payment_succeeded, false, paid},
    {pending, async_payment_succeeded, true, active},
    {pending, async_payment_failed, std::nullopt, failed},
    {pending, checkout_expired, std::nullopt, abandoned},
    {pending, renewal_paid, true, active},  // the renewal arrived before the completion
    {pending, cancel_requested, std::nullopt, canceled},
    {pending, subscription_ended, true, canceled},
    {active, renewal_failed, true, past_due},
    {active, subscription_ended, true, canceled},
    {active, cancel_requested, true, canceled},
    {active, dispute_opened, true, disputed},
    {past_due, renewal_paid, true, active},
    {past_due, subscription_ended, true, canceled},
    {past_due, cancel_requested, true, canceled},
    {past_due, dispute_opened, true, disputed},
    {paid, refund_issued, false, refunded},
    {paid, dispute_opened, false, disputed},
    {canceled, dispute_opened, std::nullopt, disputed},
    {refunded, dispute_opened, std::nullopt, disputed},
}};

constexpr std::array state_names = {"pending",  "active",   "past_due",  "paid",  "canceled",
                                    "refunded", "disputed", "abandoned", "failed"};
constexpr std::array event_names = {
    "checkout_completed", "async_payment_succeeded", "async_payment_failed", "checkout_expired",
    "renewal_paid",       "renewal_failed",          "subscription_ended",   "cancel_requested",
    "refund_issued",      "dispute_opened"};

}  // namespace

std::string_view to_string(pledge_state s) {
  return state_names[static_cast<std::size_t>(s)];
}
std::string_view to_string(pledge_event e) {
  return event_names[static_cast<std::size_t>(e)];
}

std::optional<pledge_state> parse_state(std::string_view text) {
  for (std::size_t i = 0; i < state_names.size(); ++i) {
    if (text == state_names[i]) {
      return static_cast<pledge_state>(i);
    }
  }
  return std::nullopt;
}

std::optional<pledge_event> parse_event(std::string_view text) {
  for (std::size_t i = 0; i < event_names.size(); ++i) {
    if (text == event_names[i]) {
      return static_cast<pledge_event>(i);
    }
  }
  return std::nullopt;
}

std::span<const transition> transition_table() {
  return table;
}

std::optional<pledge_state> next_state(pledge_state s, pledge_event e, interval every) {
  const bool recurring = every != interval::once;
  for (const auto& t : table) {
    if (t.from == s && t.on == e && (!t.recurring || *t.recurring == recurring)) {
      return t.to;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> monthly_recurring_minor(pledge_state s, interval every,
                                                    std::int64_t amount_minor) {
  if (s != active && s != past_due) {
    return std::nullopt;
  }
  switch (every) {
    case interval::month:
      return amount_minor;
    case interval::year:
      // Rounded down (towards minus infinity, as Lua's math.floor in the scripts).
      return amount_minor >= 0 ? amount_minor / 12 : -((-amount_minor + 11) / 12);
    case interval::once:
      break;
  }
  return std::nullopt;
}

void recurring_totals::add(std::string_view currency, pledge_state s, interval every,
                           std::int64_t amount_minor) {
  auto share = monthly_recurring_minor(s, every, amount_minor);
  if (!share || currency.empty()) {
    return;
  }
  std::string code(currency);
  active[code] += 1;
  mrr_minor[code] += *share;
}

namespace {

bool same_nonzero(const std::map<std::string, std::int64_t, std::less<>>& a,
                  const std::map<std::string, std::int64_t, std::less<>>& b) {
  auto covered = [](const auto& x, const auto& y) {
    return std::all_of(x.begin(), x.end(), [&](const auto& entry) {
      auto it = y.find(entry.first);
      return entry.second == (it == y.end() ? 0 : it->second);
    });
  };
  return covered(a, b) && covered(b, a);
}

}  // namespace

bool recurring_totals::same_as(const recurring_totals& other) const {
  return same_nonzero(active, other.active) && same_nonzero(mrr_minor, other.mrr_minor);
}

}  // namespace supportd::pledges

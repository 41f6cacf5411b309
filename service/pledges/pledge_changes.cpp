#include "pledges/pledge_changes.hpp"

#include <algorithm>
#include <chrono>

#include "core/clock.hpp"
#include "log/logger.hpp"
#include "pledges/pledge_limits.hpp"
#include "pledges/pledge_links.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_store.hpp"
#include "providers/checkout_provider.hpp"

namespace supportd::pledges {
namespace {

using kind = change_outcome::kind;

change_outcome just(kind what) {
  change_outcome outcome;
  outcome.what = what;
  return outcome;
}

// What a change to `pledge` is refused for, by what it is: only a running subscription changes.
std::optional<change_outcome> refusal_for(const pledge_record& pledge) {
  if (pledge.every == interval::once) {
    return just(kind::not_recurring);
  }
  if (pledge.status == pledge_state::pending) {
    return just(kind::not_started);
  }
  if (pledge.status != pledge_state::active && pledge.status != pledge_state::past_due) {
    return just(kind::ended);
  }
  return std::nullopt;
}

change_outcome provider_failed(const providers::provider_error& error) {
  return just(error.what == providers::provider_error::kind::rejected ? kind::provider_rejected
                                                                      : kind::provider_unavailable);
}

// Recorded changes: an outcome, and a count and a log line when something changed.
change_outcome recorded(const boost::system::result<change_result>& stored, std::string_view change,
                        const pledge_record& pledge, std::string_view by, pledge_metrics& stats) {
  if (!stored) {
    return just(kind::store_unavailable);
  }
  switch (stored->what) {
    case change_result::outcome::missing:
      return just(kind::missing);
    case change_result::outcome::refused: {
      // Ended (or, by an event meanwhile, moved on) between the read and the change.
      auto now = pledge;
      now.status = stored->state;
      return refusal_for(now).value_or(just(kind::ended));
    }
    case change_result::outcome::unchanged:
      return just(kind::done);
    case change_result::outcome::applied:
      break;
  }
  stats.changes.with({std::string(change)}).inc();
  log::info("pledge changed", {{"pledge_id", pledge.id}, {"change", change}, {"by", by}});
  auto outcome = just(kind::done);
  outcome.changed = true;
  return outcome;
}

// Months added in UTC, keeping the time of day and the day of the month, but no later than the
// month's last (January 31st + 1 month is February 28th or 29th).
std::int64_t add_months(std::int64_t unix_seconds, std::int64_t months) {
  using namespace std::chrono;
  const sys_seconds at{seconds(unix_seconds)};
  const auto day = floor<days>(at);
  year_month_day date{day};
  date += std::chrono::months(months);
  if (!date.ok()) {
    date = date.year() / date.month() / last;
  }
  return (sys_days(date) + (at - day)).time_since_epoch().count();
}

}  // namespace

std::int64_t pause_resumes_at(std::int64_t next_charge_ms, std::int64_t now_ms, interval every,
                              std::int64_t renewals) {
  const auto from_ms = std::max(next_charge_ms, now_ms);
  const std::int64_t months_per_renewal = every == interval::year ? 12 : 1;
  const auto day = std::chrono::seconds(std::chrono::days(1)).count();
  return add_months(from_ms / 1000, renewals * months_per_renewal) - day;
}

std::string amount_change_key(const pledge_record& p, std::int64_t amount_minor) {
  const auto changes = std::count_if(p.events.begin(), p.events.end(),
                                     [](const auto& e) { return e.event() == "amount_changed"; });
  return "pledge-amount-" + p.id + "-" + std::to_string(changes) + "-" +
         std::to_string(amount_minor);
}

awaitable<change_outcome> pledge_changes::change_amount(const pledge_record& pledge,
                                                        const amount_fields& requested,
                                                        std::string_view by,
                                                        const trace_context& trace) {
  if (auto refusal = refusal_for(pledge)) {
    co_return *refusal;
  }
  auto invalid = just(kind::invalid);
  const auto money = find_currency(pledge.currency);
  const auto amount =
      validate_amount(requested, money, std::optional(pledge.every), limits_, invalid.errors);
  if (!amount) {
    co_return invalid;
  }
  // The same amount again: nothing to change, at the provider or here.
  if (*amount == pledge.amount_minor) {
    co_return just(kind::done);
  }
  if (provider_ == nullptr) {
    co_return just(kind::provider_off);
  }
  const auto key = amount_change_key(pledge, *amount);
  providers::amount_change change;
  change.subscription_id = pledge.subscription_id;
  change.pledge_id = pledge.id;
  change.amount_minor = *amount;
  change.money = *money;
  change.every = pledge.every;
  change.idempotency_key = key;
  change.traceparent = trace.child_traceparent();
  auto made = co_await provider_->change_amount(change);
  if (!made) {
    co_return provider_failed(made.error());
  }
  auto stored = co_await store_.change_amount(pledge.id, *amount, by, key);
  co_return recorded(stored, "amount_changed", pledge, by, stats_);
}

awaitable<change_outcome> pledge_changes::pause(const pledge_record& pledge,
                                                std::optional<std::int64_t> renewals,
                                                std::string_view by, const trace_context& trace) {
  if (auto refusal = refusal_for(pledge)) {
    co_return *refusal;
  }
  // Months of a yearly pledge would skip its one renewal a year, or none: a reader who wants a
  // break from a yearly gift cancels, and restarts from the link in the message that follows.
  if (pledge.every != interval::month) {
    co_return just(kind::not_monthly);
  }
  if (!renewals || *renewals < 1 || *renewals > max_pause_renewals) {
    auto invalid = just(kind::invalid);
    invalid.errors.push_back({"months", !renewals ? "required" : "invalid",
                              "months must be 1, 2 or 3: how many renewals to skip."});
    co_return invalid;
  }
  if (provider_ == nullptr) {
    co_return just(kind::provider_off);
  }
  const auto resumes_at =
      pause_resumes_at(pledge.next_charge_at_ms, core::now_unix_ms(), pledge.every, *renewals);
  auto subscription_id = pledge.subscription_id;
  auto traceparent = trace.child_traceparent();
  auto paused = co_await provider_->pause_collection(std::move(subscription_id), resumes_at,
                                                     std::move(traceparent));
  if (!paused) {
    co_return provider_failed(paused.error());
  }
  const auto until = core::format_rfc3339(resumes_at);
  auto stored = co_await store_.set_pause(pledge.id, resumes_at * 1000, by, until);
  co_return recorded(stored, "paused", pledge, by, stats_);
}

awaitable<change_outcome> pledge_changes::resume(const pledge_record& pledge, std::string_view by,
                                                 const trace_context& trace) {
  if (auto refusal = refusal_for(pledge)) {
    co_return *refusal;
  }
  if (provider_ == nullptr) {
    co_return just(kind::provider_off);
  }
  // Asked even when the record shows no pause: the provider's pause is what takes the money,
  // and one the record missed (its write failed) must end too. Resuming is idempotent there.
  auto subscription_id = pledge.subscription_id;
  auto traceparent = trace.child_traceparent();
  auto resumed =
      co_await provider_->pause_collection(std::move(subscription_id), 0, std::move(traceparent));
  if (!resumed) {
    co_return provider_failed(resumed.error());
  }
  auto stored = co_await store_.set_pause(pledge.id, 0, by, "");
  co_return recorded(stored, "resumed", pledge, by, stats_);
}

awaitable<change_outcome> pledge_changes::open_payment_method_page(const pledge_record& pledge,
                                                                   const trace_context& trace) {
  if (auto refusal = refusal_for(pledge)) {
    co_return *refusal;
  }
  if (pledge.customer_id.empty()) {
    co_return just(kind::no_customer);
  }
  if (provider_ == nullptr) {
    co_return just(kind::provider_off);
  }
  // Back to the manage page, with a link of its own: the one the reader came with may be an
  // update-payment link, which does not open it.
  auto customer_id = pledge.customer_id;
  auto return_url = links_.manage_url(pledge.id, core::now_unix_seconds());
  auto traceparent = trace.child_traceparent();
  auto page = co_await provider_->open_payment_method_page(
      std::move(customer_id), std::move(return_url), std::move(traceparent));
  if (!page) {
    co_return provider_failed(page.error());
  }
  stats_.changes.with({"payment_page"}).inc();
  auto outcome = just(kind::done);
  outcome.url = std::move(*page);
  co_return outcome;
}

}  // namespace supportd::pledges

#include "pledges/message_plan.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace supportd::pledges {
namespace {

constexpr std::string_view once = "1";  // the occurrence of a once-per-pledge message

queued_message queue(const message_facts& m, std::int64_t due_ms, bool per_payment) {
  return {webhook_id(m), due_ms, encode_queued(m), per_payment};
}

message_facts facts(message_type type, const message_context& c, std::string occurrence) {
  message_facts m;
  m.type = type;
  m.pledge_id = c.pledge_id;
  m.occurrence = std::move(occurrence);
  return m;
}

// A pledge that was giving ends. One never paid ends silently: anyone can post a pledge with
// anyone's address, so only a payment shows that the address's owner made it.
bool ends(pledge_state before, pledge_state after) {
  return after == pledge_state::canceled &&
         (before == pledge_state::active || before == pledge_state::past_due);
}

bool first_payment(pledge_state before, pledge_state after) {
  return before == pledge_state::pending &&
         (after == pledge_state::active || after == pledge_state::paid);
}

std::optional<std::int64_t> to_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::vector<queued_message> messages_for(const provider_update& u, const message_context& c) {
  std::vector<queued_message> out;
  const auto& p = u.payment;
  const auto now_s = c.now_ms / 1000;
  if (first_payment(c.before, c.after)) {
    // Whichever event activated the pledge (the completion, or a first invoice that came
    // before it) thanks the reader: the state changes once, so this is queued once.
    auto m = facts(message_type::thank_you, c, std::string(once));
    m.charged_minor = p.amount_minor;
    m.charged_at_unix = p.at_ms > 0 ? p.at_ms / 1000 : now_s;
    out.push_back(queue(m, c.now_ms, false));
  }
  if (u.input == pledge_event::renewal_paid && !p.invoice.empty()) {
    if (!p.first_of_subscription && !first_payment(c.before, c.after)) {
      auto m = facts(message_type::payment_succeeded, c, p.invoice);
      m.charged_minor = p.amount_minor;
      m.charged_at_unix = p.at_ms > 0 ? p.at_ms / 1000 : now_s;
      out.push_back(queue(m, c.now_ms, true));
    }
    if (c.every == interval::year && p.period_end_ms > 0) {
      // Due the notice period before the renewal, or at once when that is past (a notice
      // longer than the year, or a late event): a late notice beats none.
      const auto renews_s = p.period_end_ms / 1000;
      auto m = facts(message_type::renewal_upcoming, c, std::to_string(renews_s));
      m.charged_minor = p.amount_minor;
      m.charged_at_unix = renews_s;
      const auto notice_ms = std::chrono::milliseconds(c.renewal_notice).count();
      out.push_back(queue(m, std::max(c.now_ms, p.period_end_ms - notice_ms), true));
    }
  }
  // Only a pledge that was paying hears of a failed renewal: a pending one was never paid, and
  // anyone can post one with anyone's address.
  const bool was_paying = c.before == pledge_state::active || c.before == pledge_state::past_due;
  if (u.input == pledge_event::renewal_failed && was_paying && !p.invoice.empty() &&
      p.attempt_count > 0) {
    auto m =
        facts(message_type::payment_failed, c, p.invoice + "_" + std::to_string(p.attempt_count));
    m.attempt_count = p.attempt_count;
    if (p.next_retry_ms > 0) {
      m.next_retry_unix = p.next_retry_ms / 1000;
    }
    out.push_back(queue(m, c.now_ms, true));
  }
  if (ends(c.before, c.after)) {
    // The provider ended it: after failed renewals (the pledge was past due), or otherwise
    // (its dashboard, a dispute). A reader's or an admin's cancellation is applied by
    // transition_pledge, not here.
    auto m = facts(message_type::canceled, c, std::string(once));
    m.ended_by =
        c.before == pledge_state::past_due ? canceled_by::failed_payments : canceled_by::provider;
    out.push_back(queue(m, c.now_ms, false));
  }
  return out;
}

std::vector<queued_message> messages_for_cancel(const message_context& c, canceled_by who) {
  std::vector<queued_message> out;
  if (ends(c.before, c.after)) {
    auto m = facts(message_type::canceled, c, std::string(once));
    m.ended_by = who;
    out.push_back(queue(m, c.now_ms, false));
  }
  return out;
}

std::string encode_queued(const message_facts& m) {
  // type|occurrence|charged_minor|charged_at|attempt_count|next_retry_at|canceled_by: a few
  // dozen bytes in the items hash while the message waits (no occurrence holds a '|': they
  // are the provider's ids and numbers).
  std::string out(type_name(m.type));
  out += '|';
  out += m.occurrence;
  out += '|';
  out += std::to_string(m.charged_minor);
  out += '|';
  out += std::to_string(m.charged_at_unix);
  out += '|';
  out += std::to_string(m.attempt_count);
  out += '|';
  if (m.next_retry_unix) {
    out += std::to_string(*m.next_retry_unix);
  }
  out += '|';
  out += to_string(m.ended_by);
  return out;
}

std::optional<message_facts> decode_queued(std::string_view pledge_id, std::string_view text) {
  std::array<std::string_view, 7> parts;
  std::size_t n = 0;
  for (std::size_t start = 0;; ++n) {
    const auto bar = text.find('|', start);
    if (n == parts.size()) {
      return std::nullopt;  // more parts than encode_queued writes
    }
    parts[n] = text.substr(start, bar == std::string_view::npos ? bar : bar - start);
    if (bar == std::string_view::npos) {
      ++n;
      break;
    }
    start = bar + 1;
  }
  if (n != parts.size()) {
    return std::nullopt;
  }
  message_facts m;
  auto type = parse_message_type(parts[0]);
  auto charged = to_int(parts[2]);
  auto at = to_int(parts[3]);
  auto attempts = to_int(parts[4]);
  if (!type || parts[1].empty() || !charged || !at || !attempts) {
    return std::nullopt;
  }
  m.type = *type;
  m.pledge_id = std::string(pledge_id);
  m.occurrence = std::string(parts[1]);
  m.charged_minor = *charged;
  m.charged_at_unix = *at;
  m.attempt_count = *attempts;
  if (!parts[5].empty()) {
    auto retry = to_int(parts[5]);
    if (!retry) {
      return std::nullopt;
    }
    m.next_retry_unix = *retry;
  }
  bool known = false;
  for (auto who : {canceled_by::reader, canceled_by::admin, canceled_by::provider,
                   canceled_by::failed_payments}) {
    if (to_string(who) == parts[6]) {
      m.ended_by = who;
      known = true;
    }
  }
  if (!known) {
    return std::nullopt;
  }
  return m;
}

}  // namespace supportd::pledges

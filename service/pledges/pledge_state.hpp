// The life of a pledge: its states, what can happen to it, and the one table of transitions.
//
//   once:      pending -> paid -> refunded | disputed
//   recurring: pending -> active <-> past_due;  active | past_due -> canceled
//   either:    pending -> abandoned (checkout expired) | failed (async payment failed)
//
// Every input is safe to repeat and to receive out of order: an input that does not apply in
// the current state changes nothing (a renewal that arrives before the checkout completion
// still activates the pledge; a completion that arrives after it is a no-op).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pledges/pledge.hpp"

namespace supportd::pledges {

enum class pledge_state {
  pending,
  active,
  past_due,
  paid,
  canceled,
  refunded,
  disputed,
  abandoned,
  failed
};

enum class pledge_event {
  checkout_completed,       // the reader paid on the hosted checkout page
  async_payment_succeeded,  // a delayed payment method settled
  async_payment_failed,
  checkout_expired,    // the reader never finished the checkout
  renewal_paid,        // a recurring charge succeeded (invoice.paid)
  renewal_failed,      // a recurring charge failed (invoice.payment_failed)
  subscription_ended,  // the provider ended the subscription
  cancel_requested,    // the reader (or an admin) cancelled
  refund_issued,
  dispute_opened,
};

std::string_view to_string(pledge_state s);
std::optional<pledge_state> parse_state(std::string_view text);
std::string_view to_string(pledge_event e);
std::optional<pledge_event> parse_event(std::string_view text);

struct transition {
  pledge_state from;
  pledge_event on;
  // Which pledges the row applies to: nullopt for both kinds.
  std::optional<bool> recurring;
  pledge_state to;
};

// Every transition there is, top to bottom (the README shows the same table).
std::span<const transition> transition_table();

// The state after `e` in state `s`, or nullopt when `e` does not apply (nothing changes).
std::optional<pledge_state> next_state(pledge_state s, pledge_event e, interval every);

// What a pledge adds to the monthly recurring revenue (MRR), in minor units, or nullopt when it
// is not an active recurring pledge. Active recurring means monthly or yearly and `active` or
// `past_due`: a past-due subscription is still alive (the provider retries the charge) until it
// ends, when the pledge moves on to `canceled`. A monthly pledge adds its amount; a yearly one
// its amount / 12 rounded down, so every figure stays an integer (the totals are sums of these
// per-pledge shares, and may be below the exact twelfth of the yearly sum by < 1 unit a pledge).
// pledge_store's Lua scripts apply the same rule; keep the two in step.
std::optional<std::int64_t> monthly_recurring_minor(pledge_state s, interval every,
                                                    std::int64_t amount_minor);

// Active recurring pledges and their MRR in minor units, by currency (ISO 4217 code).
struct recurring_totals {
  std::map<std::string, std::int64_t, std::less<>> active;
  std::map<std::string, std::int64_t, std::less<>> mrr_minor;

  // Counts one pledge, if it is active recurring.
  void add(std::string_view currency, pledge_state s, interval every, std::int64_t amount_minor);
  // The same figures, currencies at zero aside.
  bool same_as(const recurring_totals& other) const;
};

}  // namespace supportd::pledges

// A change a payment provider's event asks of a pledge: what webhooks/stripe_event.hpp makes of
// a Stripe event, and pledge_store::apply_provider_update applies (once per event).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pledges/pledge_state.hpp"

namespace supportd::pledges {

// What a provider's event says about a payment, for the reader's messages (message_plan.hpp).
// Zero or empty where the event does not say.
struct payment_facts {
  std::string invoice;  // the invoice paid or failed (a one-time gift: its Checkout Session)
  std::int64_t amount_minor = 0;
  std::int64_t at_ms = 0;  // when it was paid or failed
  // Only the first invoice of a subscription (Stripe's billing_reason subscription_create): the
  // payment the thank-you is for, not a renewal's receipt.
  bool first_of_subscription = false;
  std::int64_t attempt_count = 0;  // a failed invoice's attempts so far
  std::int64_t next_retry_ms = 0;  // when the provider tries again; 0: it will not
  std::int64_t period_end_ms = 0;  // a paid invoice: when the period it pays for ends
};

struct provider_update {
  std::string event_id;   // applied once: later copies are duplicates
  std::string reference;  // kept in the pledge's history
  // How to find the pledge: its id, else the subscription the pledge has, else a payment made
  // for it (charge or PaymentIntent id: refunds and disputes of renewals carry only those).
  std::string pledge_id;
  std::string subscription_id;
  std::vector<std::string> payment_lookups;
  // Payments made for the pledge (charge and PaymentIntent ids), remembered so that a later
  // refund or dispute of them finds it.
  std::vector<std::string> payment_refs;
  // The state-table input, if the event is one; the bookkeeping applies either way.
  std::optional<pledge_event> input;
  std::vector<std::pair<std::string, std::int64_t>> increments;
  std::vector<std::pair<std::string, std::string>> fields;
  // The payment (or failed payment attempt) the increments count, when the event names one:
  // they are then applied once per pledge and key (the pledge keeps `counted:<key>`), so an
  // event applied again after its dedupe mark is gone (expired, lost in a failover or a
  // restore, re-fed by the reconciliation with Stripe) does not count its charge twice. Empty:
  // the dedupe mark alone makes them once.
  std::string count_once_as;
  payment_facts payment;
  // The address the reader paid with (a paid Checkout Session's customer_details.email): the
  // pledge's copy is confirmed or corrected by it before the event is applied.
  std::string reader_email;
};

}  // namespace supportd::pledges

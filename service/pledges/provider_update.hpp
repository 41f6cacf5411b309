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
};

}  // namespace supportd::pledges

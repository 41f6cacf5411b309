// The changes a reader makes to their Stripe subscription, without I/O: a new amount from the
// next renewal on (https://docs.stripe.com/api/subscriptions/update, items and
// proration_behavior) and paused collection
// (https://docs.stripe.com/billing/subscriptions/pause-payment). Builds the parameters and reads
// the subscription they start from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/checkout_provider.hpp"
#include "providers/stripe/checkout_params.hpp"

namespace supportd::providers::stripe {

// Whether `id` can go into a request path as it is: Stripe's ids are letters, digits and '_'
// ("sub_1Nv…", "cus_…"), and anything else ("../", "?", "%") would name another resource.
bool is_object_id(std::string_view id);

// "/v1/subscriptions/<id>"; `id` must pass is_object_id.
std::string subscription_path(std::string_view subscription_id);

// A pledge's subscription has one item: its price, as GET /v1/subscriptions/{id} shows it.
struct subscription_item {
  std::string id;       // si_…
  std::string product;  // prod_…: the product Checkout made for the pledge
  std::int64_t unit_amount = 0;
  std::int64_t quantity = 1;
  std::string currency;  // lower case, as Stripe writes it
  std::string interval;  // day, week, month, year
  std::int64_t interval_count = 1;
};

// The one item of a subscription's JSON; nullopt unless it has exactly one item whose price
// recurs and has a whole unit_amount.
std::optional<subscription_item> parse_subscription_item(std::string_view body);

// Why `change` cannot apply to the subscription `item` belongs to (it bills in another currency
// or at another interval, or more than one unit), for the logs; empty when it can.
std::string amount_change_mismatch(const subscription_item& item,
                                   const providers::amount_change& change);

// items[0][id] and a new inline price for it (the item's currency, product and interval, the
// new unit_amount), with proration_behavior=none: the period already paid stays as paid, and
// the next renewal charges the new amount. Stripe makes a new price from price_data; a
// subscription item's price_data takes the product's id, not product_data.
form_params amount_change_params(const subscription_item& item, std::int64_t amount_minor);

// pause_collection[behavior]=void and pause_collection[resumes_at]: the renewals due before
// then are voided at once, nothing charged, and collection resumes by itself at that time.
// 0 unsets the pause with `pause_collection=` (the empty string, as Stripe's API unsets a
// parameter): collection resumes now.
form_params pause_collection_params(std::int64_t resumes_at_unix);

}  // namespace supportd::providers::stripe

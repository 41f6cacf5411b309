// POST /v1/subscriptions/{id}: the parameters checked the way Stripe's API checks them (API
// version 2024-06-20), before the subscription is looked at. Pure: no I/O, no clock but the one
// passed in. What depends on the subscription itself (does the item exist, is the currency its
// own) fake_stripe_api checks when it applies the update.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checkout_request.hpp"
#include "form_params.hpp"
#include "stripe_error.hpp"

namespace fake_stripe {

// `items[i]`: a change to one of the subscription's items.
struct item_update {
  std::string param;  // "items[0]", for the errors that name it
  std::string id;     // the si_… it changes
  // A new price made inline from `price_data` (its `product` is an existing product's id).
  std::optional<price_spec> price;
  std::optional<std::int64_t> quantity;
};

// `pause_collection[behavior]` and `[resumes_at]`.
struct collection_pause {
  std::string behavior;  // keep_as_draft, mark_uncollectible, void
  std::optional<std::int64_t> resumes_at;

  bool operator==(const collection_pause&) const = default;
};

struct subscription_update {
  std::optional<bool> cancel_at_period_end;
  bool metadata_cleared = false;                     // `metadata=`: every key removed first
  metadata_map metadata;                             // a key set to "" is removed
  std::optional<std::string> cancellation_comment;   // "" unsets it
  std::optional<std::string> cancellation_feedback;  // "" unsets it
  std::vector<item_update> items;
  std::string proration_behavior = "create_prorations";  // Stripe's default
  bool proration_behavior_given = false;
  // Absent: unchanged. Present and empty (`pause_collection=`): unset.
  std::optional<std::optional<collection_pause>> pause_collection;

  // Whether anything but metadata and cancellation_details changes (what a canceled
  // subscription still allows).
  bool changes_billing() const;
};

using subscription_update_result = std::variant<subscription_update, stripe_error>;

// Checks `params` as Stripe does; `now` is unix seconds (a pause must end in the future).
subscription_update_result parse_subscription_update(const form_params& params, std::int64_t now);

}  // namespace fake_stripe

// What a Stripe event means for a pledge. Pure: parses the event JSON, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pledges/provider_update.hpp"

namespace supportd::webhooks {

enum class event_kind { known, unknown_type, malformed };

struct parsed_event {
  event_kind kind = event_kind::malformed;
  std::string type;
  bool livemode = false;
  pledges::provider_update update;
};

parsed_event parse_stripe_event(std::string_view body);

// The types supportd acts on (for metric labels; others count as "other").
bool is_handled_type(std::string_view type);

// Every type supportd acts on, in one list: the events a Stripe webhook endpoint must be
// subscribed to (`supportd --print-stripe-events` prints it for the runbook).
std::span<const std::string_view> handled_types();

}  // namespace supportd::webhooks

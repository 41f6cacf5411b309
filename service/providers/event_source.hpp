// What the reconciliation needs from a payment provider: its log of events, a page at a time.
// Stripe implements it (providers/stripe/, `GET /v1/events`); tests stand in for it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "providers/checkout_provider.hpp"

namespace supportd::providers {

// One event as the provider lists it; `body` is the event's JSON, as a webhook would carry it.
struct listed_event {
  std::string id;
  std::string type;
  std::int64_t created = 0;  // Unix seconds
  std::string body;
};

struct event_page_request {
  std::int64_t created_from = 0;  // Unix seconds, inclusive (Stripe's created[gte])
  std::span<const std::string_view> types;
  // The last event of the page before (Stripe's starting_after); empty for the first page.
  std::string after;
  int limit = 100;
};

// Newest first, as Stripe lists them.
struct event_page {
  std::vector<listed_event> events;
  bool has_more = false;
};

class event_source {
 public:
  virtual ~event_source() = default;

  virtual awaitable<provider_result<event_page>> list_events(const event_page_request& request) = 0;
};

}  // namespace supportd::providers

// Stripe's event list (`GET /v1/events`, https://docs.stripe.com/api/events/list), without
// I/O: the request's target and the reading of its answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "providers/event_source.hpp"

namespace supportd::providers::stripe {

// "/v1/events?created[gte]=…&limit=…&types[]=…&starting_after=…". Brackets go as they are, as
// Stripe's own libraries send them; values are form-encoded.
std::string event_list_target(const providers::event_page_request& request);

// {"object":"list","data":[event, …],"has_more":bool}: each event's id, type, created and its
// JSON (re-serialised: what the event processors parse). nullopt for anything else, or for an
// event without an id, type or creation time.
std::optional<providers::event_page> parse_event_list(std::string_view body);

}  // namespace supportd::providers::stripe

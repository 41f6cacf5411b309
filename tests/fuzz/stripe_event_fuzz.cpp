// Stripe event bodies (after their signature was accepted: Stripe's own, or a replayed dead
// letter). Invariants: anything but a JSON object with an id, a type and data.object is malformed
// and changes nothing; a known event is one of the handled types, keyed by its id; an event of
// another type is not; the counters touched are the three a pledge has; timestamps written to the
// pledge are whole milliseconds; parsing twice gives the same answer.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "fuzz_check.hpp"
#include "webhooks/stripe_event.hpp"

namespace {

using namespace supportd;
using fuzz::expect;
using webhooks::event_kind;

bool same(const webhooks::parsed_event& a, const webhooks::parsed_event& b) {
  const auto& x = a.update;
  const auto& y = b.update;
  return a.kind == b.kind && a.type == b.type && a.livemode == b.livemode &&
         x.event_id == y.event_id && x.reference == y.reference && x.pledge_id == y.pledge_id &&
         x.subscription_id == y.subscription_id && x.payment_lookups == y.payment_lookups &&
         x.payment_refs == y.payment_refs && x.input == y.input && x.increments == y.increments &&
         x.fields == y.fields;
}

bool whole_number(std::string_view text) {
  auto digits = text.starts_with('-') ? text.substr(1) : text;
  return !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = fuzz::as_text(data, size);
  auto event = webhooks::parse_stripe_event(body);
  expect(same(event, webhooks::parse_stripe_event(body)), "parsing is deterministic");

  boost::system::error_code ec;
  auto json = boost::json::parse(body, ec);
  const auto& u = event.update;
  if (ec || !json.is_object()) {
    expect(event.kind == event_kind::malformed, "anything but a JSON object is malformed");
  }
  if (event.kind == event_kind::malformed) {
    expect(!u.input && u.increments.empty() && u.fields.empty() && u.payment_refs.empty() &&
               u.payment_lookups.empty(),
           "a malformed event changes nothing");
    return 0;
  }
  expect(!u.event_id.empty() && u.reference == u.event_id, "an event is keyed by its id");
  expect((event.kind == event_kind::known) == webhooks::is_handled_type(event.type),
         "known means handled");
  for (const auto& [counter, by] : u.increments) {
    expect(counter == "charges_succeeded" || counter == "total_given_minor" ||
               counter == "consecutive_failures",
           "only a pledge's own counters are incremented");
  }
  for (const auto& [field, value] : u.fields) {
    if (field.ends_with("_at_ms") || field.starts_with("refunded:") ||
        field == "consecutive_failures") {
      expect(whole_number(value), "numeric fields are whole numbers");
    }
  }
  return 0;
}

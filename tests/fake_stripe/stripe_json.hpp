// JSON as Stripe's API and webhooks send it: pretty-printed with two-space indentation. A
// webhook's signature covers these exact bytes, so a receiver that re-serialises the parsed
// body before verifying fails here as it would against Stripe.
#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace fake_stripe {

std::string to_stripe_json(const boost::json::value& v);

}  // namespace fake_stripe

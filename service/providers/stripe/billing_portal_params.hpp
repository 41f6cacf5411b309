// A Stripe Billing Portal session where a reader updates their card
// (https://docs.stripe.com/api/customer_portal/sessions/create), without I/O: its parameters
// and the reading of Stripe's answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "providers/stripe/checkout_params.hpp"

namespace supportd::providers::stripe {

// `customer` and `return_url`, and a deep link straight to the card update
// (flow_data[type]=payment_method_update) that sends the reader back to `return_url` once the
// card is saved (after_completion redirect) instead of leaving them on the portal's home page.
// Without a return URL the portal shows its own confirmation.
form_params billing_portal_session_params(std::string_view customer_id,
                                          std::string_view return_url);

// The session's `url` from {"id":"bps_…","object":"billing_portal.session","url":"https://…"};
// nullopt for anything else.
std::optional<std::string> parse_billing_portal_url(std::string_view body);

}  // namespace supportd::providers::stripe

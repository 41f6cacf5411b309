// POST /v1/billing_portal/sessions: the parameters checked the way Stripe's API checks them (API
// version 2024-06-20). Pure: whether the customer and the configuration exist is fake_stripe_api's
// to check.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "form_params.hpp"
#include "stripe_error.hpp"

namespace fake_stripe {

// `flow_data`: a deep link into one task of the portal, and where the customer goes after it.
struct portal_flow {
  std::string type;                                  // payment_method_update (the one modelled)
  std::string after_completion = "portal_homepage";  // or hosted_confirmation, redirect
  std::optional<std::string> redirect_url;           // after_completion[redirect][return_url]
  std::optional<std::string> custom_message;         // after_completion[hosted_confirmation][…]
};

struct portal_session_request {
  std::string customer;
  std::optional<std::string> configuration;
  std::optional<std::string> return_url;
  std::optional<std::string> locale;
  std::optional<portal_flow> flow;
};

using portal_session_result = std::variant<portal_session_request, stripe_error>;

portal_session_result parse_portal_session_request(const form_params& params);

}  // namespace fake_stripe

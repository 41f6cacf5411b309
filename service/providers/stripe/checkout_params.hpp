// The form parameters of a Stripe Checkout Session for a pledge, with Stripe's bracketed keys.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "providers/checkout_provider.hpp"

namespace supportd::providers::stripe {

using form_params = std::vector<std::pair<std::string, std::string>>;

// What the site decides for every checkout.
struct checkout_options {
  std::string product_name = "Support";
  // pmc_…; empty: the account's default payment method configuration.
  std::string payment_method_configuration;
  // Payment method types a reader may pick on the site's form (--stripe-payment-methods).
  std::vector<std::string> pickable_methods;
};

// mode=subscription with price_data[recurring][interval] for monthly and yearly pledges,
// mode=payment (submit_type=donate) for one-time ones; the pledge id in client_reference_id
// and in the metadata Stripe copies onto the subscription or payment, so webhooks find it.
//
// Which payment methods Checkout offers is the account's payment method configuration's choice
// (https://docs.stripe.com/payments/payment-method-configurations), or the configured one's;
// a method the reader picked on the form pins the checkout to it only when the site lists it as
// pickable (Stripe takes either payment_method_types or a configuration, not both).
form_params checkout_session_params(const providers::checkout_request& r,
                                    const checkout_options& options);

// "a=1&b%5Bc%5D=2": the body Stripe's API takes.
std::string encode(const form_params& params);

// The Idempotency-Key of the pledge's checkout: retries of any kind never make two sessions.
std::string checkout_idempotency_key(const std::string& pledge_id);

}  // namespace supportd::providers::stripe

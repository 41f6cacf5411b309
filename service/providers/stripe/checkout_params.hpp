// The form parameters of a Stripe Checkout Session for a pledge, with Stripe's bracketed keys.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pledges/checkout_provider.hpp"

namespace supportd::providers::stripe {

using form_params = std::vector<std::pair<std::string, std::string>>;

// mode=subscription with price_data[recurring][interval] for monthly and yearly pledges,
// mode=payment (submit_type=donate) for one-time ones; the pledge id in client_reference_id
// and in the metadata Stripe copies onto the subscription or payment, so webhooks find it.
form_params checkout_session_params(const pledges::checkout_request& r,
                                    const std::string& product_name);

// "a=1&b%5Bc%5D=2": the body Stripe's API takes.
std::string encode(const form_params& params);

// The Idempotency-Key of the pledge's checkout: retries of any kind never make two sessions.
std::string checkout_idempotency_key(const std::string& pledge_id);

}  // namespace supportd::providers::stripe

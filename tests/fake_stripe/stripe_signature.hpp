// Signs webhook payloads the way Stripe does: `Stripe-Signature: t=<unix>,v1=<hex>`, where v1 is
// the hex HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint secret string as it is
// (`whsec_…`, its bytes, not base64-decoded).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fake_stripe {

// Lower-case hex HMAC-SHA256 of `message` keyed with `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// The whole `Stripe-Signature` header value for `payload` sent at `timestamp`.
std::string stripe_signature_header(std::string_view secret, std::int64_t timestamp,
                                    std::string_view payload);

}  // namespace fake_stripe

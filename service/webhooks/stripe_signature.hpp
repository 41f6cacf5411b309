// Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]` over
// "<t>.<raw body>", HMAC-SHA256 keyed with the endpoint secret's bytes as they are.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace supportd::webhooks {

enum class signature_verdict {
  valid,
  missing_header,  // no Stripe-Signature
  malformed,       // no timestamp, or no v1 signature
  stale,           // timestamp outside the tolerance
  mismatch,        // no v1 matches any active secret
};

std::string_view to_string(signature_verdict v);

// Any v1 may match any of `secrets` (rotation sends one per active secret); other schemes are
// ignored; comparison is constant-time.
signature_verdict verify_stripe_signature(std::string_view header, std::string_view body,
                                          std::span<const std::string> secrets,
                                          std::int64_t now_unix, std::int64_t tolerance_seconds);

// The header value Stripe would send, for tests and the local stand-in.
std::string sign_stripe_payload(std::string_view body, std::string_view secret, std::int64_t t);

}  // namespace supportd::webhooks

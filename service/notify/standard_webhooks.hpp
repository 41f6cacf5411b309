// Signatures for supportd's own outbound webhooks, per the Standard Webhooks spec: the
// `webhook-signature` header over `<webhook-id>.<webhook-timestamp>.<body>`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "security/webhook_secrets.hpp"

namespace supportd::notify {

// The secrets' format (whsec_…) is read by security/webhook_secrets.hpp.
using security::decode_webhook_secret;
using security::parse_secret_file;

// `v1,<base64 HMAC-SHA256>` for each raw key, space-separated, so that a receiver holding either
// the old or the new secret accepts the message during a rotation. Empty for no keys.
std::string signature_header(std::string_view msg_id, std::int64_t timestamp, std::string_view body,
                             std::span<const std::string> keys);

// Whether any `v1,` entry of `header` matches any key (constant-time comparisons). The timestamp
// is taken as given: a receiver checks its freshness itself.
bool verify_signature(std::string_view header, std::string_view msg_id, std::int64_t timestamp,
                      std::string_view body, std::span<const std::string> keys);

}  // namespace supportd::notify

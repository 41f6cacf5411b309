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

namespace supportd::notify {

// The raw HMAC key of a `whsec_<base64>` secret; nullopt without the prefix, for base64 that is
// not standard and padded, or for an empty key.
std::optional<std::string> decode_webhook_secret(std::string_view whsec);

// A secrets file: one `whsec_...` per line, blank lines ignored; several lines while rotating.
// Returns the raw keys in file order, or an error naming the line (never echoing the secret).
std::variant<std::vector<std::string>, std::string> parse_secret_file(std::string_view text);

// `v1,<base64 HMAC-SHA256>` for each raw key, space-separated, so that a receiver holding either
// the old or the new secret accepts the message during a rotation. Empty for no keys.
std::string signature_header(std::string_view msg_id, std::int64_t timestamp, std::string_view body,
                             std::span<const std::string> keys);

// Whether any `v1,` entry of `header` matches any key (constant-time comparisons). The timestamp
// is taken as given: a receiver checks its freshness itself.
bool verify_signature(std::string_view header, std::string_view msg_id, std::int64_t timestamp,
                      std::string_view body, std::span<const std::string> keys);

}  // namespace supportd::notify

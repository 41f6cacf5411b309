// Standard Webhooks secrets (https://www.standardwebhooks.com/): `whsec_` and the base64 of the
// raw HMAC key. Read at start, from the files settings name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace supportd::security {

// The raw HMAC key of a `whsec_<base64>` secret; nullopt without the prefix, for base64 that is
// not standard and padded, or for an empty key.
std::optional<std::string> decode_webhook_secret(std::string_view whsec);

// A secrets file: one `whsec_...` per line, blank lines ignored; several lines while rotating.
// Returns the raw keys in file order, or an error naming the line (never echoing the secret).
std::variant<std::vector<std::string>, std::string> parse_secret_file(std::string_view text);

}  // namespace supportd::security

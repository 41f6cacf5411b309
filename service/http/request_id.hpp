// Request ids: the caller's X-Request-Id when it is sane, else a fresh random one.
#pragma once

#include <array>
#include <string_view>

namespace supportd::http {

// Sane: 1 to 128 characters of [A-Za-z0-9._:-]; such an id is safe to log and echo back.
bool is_sane_request_id(std::string_view id);

// 32 lowercase hex characters, written into `storage`. Unique enough to find a request in
// logs; not a secret.
std::string_view generate_request_id(std::array<char, 32>& storage);

}  // namespace supportd::http

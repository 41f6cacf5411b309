// CORS for the browser-facing endpoints: an exact-match allowlist of origins, preflight
// answered, credentials never allowed.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace supportd::http {

enum class origin_verdict {
  none,     // no Origin header: not a browser's cross-origin request (curl, servers)
  allowed,  // on the allowlist
  refused,
};

origin_verdict check_origin(const request& req, std::span<const std::string> allowed_origins);

// Access-Control-Allow-Origin for an allowed origin, and Vary: Origin on every answer.
void add_cors_headers(response& res, const request& req, origin_verdict verdict);

// The answer to an OPTIONS preflight: 204 with what may be sent, or 403 for other origins.
response preflight(const request& req, std::span<const std::string> allowed_origins,
                   std::string_view methods, std::string_view headers);

}  // namespace supportd::http

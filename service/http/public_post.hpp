// The checks every public POST from the site's pages passes before its fields are read: an
// allowed origin (CORS), a JSON or form body, the feature switched on, and the per-address rate
// limit shared by all public POSTs (--rate-limit-per-minute).
#pragma once

#include <optional>
#include <string_view>

#include "core/net.hpp"
#include "http/cors.hpp"
#include "http/message.hpp"

namespace supportd {
struct services;
}

namespace supportd::http {

struct public_post {
  origin_verdict origin = origin_verdict::none;
  bool form = false;  // application/x-www-form-urlencoded (else JSON)
  // The answer when the request goes no further, CORS headers included.
  std::optional<response> refusal;
  // For the caller's refusal metric: "origin" or "rate_limited"; empty when not counted.
  std::string_view refused_because;
};

// `off`: the feature's 503 when it is not configured. `origin_detail` says what a foreign
// origin may not do.
awaitable<public_post> check_public_post(const request& req, services& svc,
                                         std::optional<response> off,
                                         std::string_view origin_detail);

}  // namespace supportd::http

// Who may call /admin/*: the holder of the admin token, sent as `Authorization: Bearer`,
// compared in constant time. Without --admin-token-file the admin API is off.
//
// Wrong tokens are throttled per client address (admin_throttle): after 10 within 5 minutes the
// address is answered 429 with Retry-After, right token or not, until its window ends. Refusals
// are counted in supportd_admin_auth_refused_total{reason}; the token is never logged.
#pragma once

#include <optional>

#include "http/message.hpp"
#include "metrics/registry.hpp"

namespace supportd::config {
struct settings;
}

namespace supportd::http {

// nullopt when the caller is the admin; otherwise the answer to send (503 off, 401, 429).
std::optional<http::response> refuse_unless_admin(const http::request& req,
                                                  const config::settings& s);

// Registers supportd_admin_auth_refused_total in `registry` and counts refusals there from now
// on. Called once at start, before requests are served.
void count_admin_refusals(metrics::registry& registry);

}  // namespace supportd::http

#include "ops/admin_access.hpp"

#include "config/settings.hpp"
#include "http/problem.hpp"
#include "security/secrets.hpp"

namespace supportd::ops {

std::optional<http::response> refuse_unless_admin(const http::request& req,
                                                  const config::settings& s) {
  if (s.admin_token.empty()) {
    return http::make_problem_response(http::service_unavailable(
        "admin_off", "The admin API is off: --admin-token-file is not set."));
  }
  if (security::constant_time_equal(req.bearer_token(), s.admin_token)) {
    return std::nullopt;
  }
  auto r = http::make_problem_response(
      {401, "unauthorized", "Unauthorized", "Send the admin token as a Bearer token.", {}});
  r.with_header("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace supportd::ops

#include "http/admin_access.hpp"

#include <atomic>

#include "config/settings.hpp"
#include "http/admin_throttle.hpp"
#include "http/client_address.hpp"
#include "http/problem.hpp"
#include "security/secrets.hpp"

namespace supportd::http {
namespace {

constexpr unsigned max_failures = 10;
constexpr std::chrono::seconds failure_window{300};

admin_throttle& throttle() {
  static admin_throttle instance(max_failures, failure_window);
  return instance;
}

std::atomic<metrics::family<metrics::counter>*> refused_family{nullptr};

void count_refusal(std::string_view reason) {
  if (auto* family = refused_family.load(std::memory_order_acquire)) {
    family->with({reason}).inc();
  }
}

}  // namespace

void count_admin_refusals(metrics::registry& registry) {
  auto& family = registry.add_counter(
      "supportd_admin_auth_refused_total",
      "Admin API requests refused: a wrong token (wrong_token) or, after too many of those from "
      "one address, any request from it (throttled).",
      {"reason"});
  refused_family.store(&family, std::memory_order_release);
}

std::optional<http::response> refuse_unless_admin(const http::request& req,
                                                  const config::settings& s) {
  if (s.admin_token.empty()) {
    return http::make_problem_response(http::service_unavailable(
        "admin_off", "The admin API is off: --admin-token-file is not set."));
  }
  // On the ops listener no proxy stands in front: a client-address header there is whatever the
  // caller wrote, and would give a guesser a fresh address per request.
  const std::string_view who =
      req.ops_listener ? req.client_address
                       : http::client_address(req, s.client_ip_header, s.trusted_proxy_hops);
  const auto now = admin_throttle::clock::now();
  // Refused before the token is looked at: a throttled guesser learns nothing, not even from a
  // right guess.
  if (auto wait = throttle().refused_for(who, now)) {
    count_refusal("throttled");
    auto r = http::make_problem_response(
        429, "admin_throttled", "Too Many Requests",
        "Too many wrong admin tokens from this address; try again later.");
    r.with_header("Retry-After", std::to_string(wait->count()));
    return r;
  }
  const auto token = req.bearer_token();
  if (!token.empty() && security::constant_time_equal(token, s.admin_token)) {
    throttle().succeeded(who);
    return std::nullopt;
  }
  // A request without a token is no guess; only a wrong token counts against the address.
  if (!token.empty()) {
    throttle().failed(who, now);
    count_refusal("wrong_token");
  }
  return http::unauthorized_response("the admin token");
}

}  // namespace supportd::http

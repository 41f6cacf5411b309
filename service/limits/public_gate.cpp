#include "limits/public_gate.hpp"

#include "http/client_address.hpp"
#include "http/problem.hpp"
#include "limits/rate_limiter.hpp"

namespace supportd::limits {
using http::make_problem_response;

awaitable<public_post> public_gate::check(const http::request& req,
                                          std::optional<http::response> off,
                                          std::string_view origin_detail) {
  const auto& s = settings_;
  public_post out;
  out.origin = http::check_origin(req, s.allowed_origins);
  auto refuse = [&](http::response r, std::string_view because) {
    http::add_cors_headers(r, req, out.origin);
    out.refusal = std::move(r);
    out.refused_because = because;
    return out;
  };
  if (out.origin == http::origin_verdict::refused) {
    co_return refuse(
        make_problem_response(403, "origin_not_allowed", "Forbidden", std::string(origin_detail)),
        "origin");
  }
  out.form = req.has_media_type("application/x-www-form-urlencoded");
  if (!out.form && !req.has_media_type("application/json")) {
    co_return refuse(
        make_problem_response(415, "unsupported_media_type", "Unsupported Media Type",
                              "Send application/json or application/x-www-form-urlencoded."),
        {});
  }
  if (off) {
    co_return refuse(std::move(*off), {});
  }
  rate_limiter limiter(redis_, s.redis_prefix, s.rate_limit_per_minute);
  auto rate = co_await limiter.hit(
      "public-post", http::client_address(req, s.client_ip_header, s.trusted_proxy_hops));
  if (!rate) {
    co_return refuse(http::store_unavailable_response(), {});
  }
  if (!rate->allowed) {
    auto r = make_problem_response(429, "rate_limited", "Too Many Requests",
                                   "Too many requests from this address; try again later.");
    r.with_header("Retry-After", std::to_string(rate->retry_after_seconds));
    co_return refuse(std::move(r), "rate_limited");
  }
  co_return out;
}

}  // namespace supportd::limits

#include "http/cors.hpp"

#include <algorithm>

#include "http/problem.hpp"

namespace supportd::http {

origin_verdict check_origin(const request& req, std::span<const std::string> allowed_origins) {
  auto origin = req.header_value("Origin");
  if (origin.empty()) {
    return origin_verdict::none;
  }
  return std::find(allowed_origins.begin(), allowed_origins.end(), origin) != allowed_origins.end()
             ? origin_verdict::allowed
             : origin_verdict::refused;
}

void add_cors_headers(response& res, const request& req, origin_verdict verdict) {
  res.with_header("Vary", "Origin");
  if (verdict == origin_verdict::allowed) {
    res.with_header("Access-Control-Allow-Origin", std::string(req.header_value("Origin")));
    res.with_header("Access-Control-Expose-Headers", "X-Request-Id, Location");
  }
}

response preflight(const request& req, std::span<const std::string> allowed_origins,
                   std::string_view methods, std::string_view headers) {
  auto verdict = check_origin(req, allowed_origins);
  if (verdict != origin_verdict::allowed) {
    auto r = make_problem_response(
        {403, "origin_not_allowed", "Forbidden", "This origin may not call this API.", {}});
    r.with_header("Vary", "Origin");
    return r;
  }
  response r;
  r.status = 204;
  r.content_type = "text/plain";
  add_cors_headers(r, req, verdict);
  r.with_header("Access-Control-Allow-Methods", std::string(methods));
  r.with_header("Access-Control-Allow-Headers", std::string(headers));
  r.with_header("Access-Control-Max-Age", "600");
  return r;
}

}  // namespace supportd::http

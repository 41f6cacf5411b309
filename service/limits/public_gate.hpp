// The checks every public POST from the site's pages passes before its fields are read: an
// allowed origin (CORS), a JSON or form body, the feature switched on, and the per-address rate
// limit shared by all public POSTs (--rate-limit-per-minute).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "http/cors.hpp"
#include "http/message.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::limits {

struct public_post {
  http::origin_verdict origin = http::origin_verdict::none;
  bool form = false;  // application/x-www-form-urlencoded (else JSON)
  // The answer when the request goes no further, CORS headers included.
  std::optional<http::response> refusal;
  // For the caller's refusal metric: "origin" or "rate_limited"; empty when not counted.
  std::string_view refused_because;
};

struct public_gate_settings {
  std::vector<std::string> allowed_origins;
  unsigned rate_limit_per_minute = 0;  // 0 is off
  std::string redis_prefix;
  // Where a trusted proxy puts the client's address (http/client_address.hpp).
  std::string client_ip_header;
  unsigned trusted_proxy_hops = 1;
};

// One per worker thread, over that worker's Redis connection.
class public_gate {
 public:
  public_gate(redis::connection& redis, public_gate_settings settings)
      : redis_(redis), settings_(std::move(settings)) {}

  // `off`: the feature's 503 when it is not configured. `origin_detail` says what a foreign
  // origin may not do.
  awaitable<public_post> check(const http::request& req, std::optional<http::response> off,
                               std::string_view origin_detail);

 private:
  redis::connection& redis_;
  public_gate_settings settings_;
};

}  // namespace supportd::limits

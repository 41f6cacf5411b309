#include "ops/ops_routes.hpp"

#include <algorithm>

#include "config/settings.hpp"
#include "http/problem.hpp"
#include "metrics/registry.hpp"
#include "redis/connection.hpp"
#include "services.hpp"

namespace supportd::ops {

awaitable<http::response> healthz(const http::request&, services&) {
  co_return http::response::json(200, R"({"status":"ok"})");
}

awaitable<http::response> readyz(const http::request&, services& svc) {
  if (svc.instance.draining()) {
    auto r = http::make_problem_response(
        http::service_unavailable("shutting_down", "This instance is shutting down."));
    co_return r;
  }
  if (svc.instance.redis_ready()) {
    // A readiness probe must answer fast even when Redis hangs: a short deadline of its own.
    auto deadline = std::min(svc.settings.redis_timeout, std::chrono::milliseconds(1000));
    std::string_view ping[] = {"PING"};
    auto reply = co_await svc.redis.command(ping, deadline);
    if (reply && redis::expect_status(*reply, "PONG")) {
      co_return http::response::json(200, R"({"status":"ready","redis":"up"})");
    }
  }
  auto r = http::make_problem_response(
      http::service_unavailable("redis_unavailable", "Redis does not answer."));
  r.with_header("Retry-After", "1");
  co_return r;
}

awaitable<http::response> metrics(const http::request&, services& svc) {
  co_return http::response::of_type(200, "text/plain; version=0.0.4; charset=utf-8",
                                    svc.metrics.render());
}

}  // namespace supportd::ops

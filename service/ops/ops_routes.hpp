// Liveness, readiness and metrics endpoints for load balancers, orchestrators and Prometheus.
#pragma once

#include "core/net.hpp"
#include "http/message.hpp"

namespace supportd {
struct services;
}

namespace supportd::ops {

// GET /healthz: the process is up and serving. Needs nothing else, Redis included.
awaitable<http::response> healthz(const http::request& req, services& svc);

// GET /readyz: Redis answers PING within a short deadline and shutdown has not begun.
awaitable<http::response> readyz(const http::request& req, services& svc);

// GET /metrics: Prometheus text exposition.
awaitable<http::response> metrics(const http::request& req, services& svc);

}  // namespace supportd::ops

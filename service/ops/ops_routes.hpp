// Liveness, readiness and metrics endpoints for load balancers, orchestrators and Prometheus;
// the admin summary and the rebuild of the pledge stats for ops people.
#pragma once

#include "core/net.hpp"
#include "http/message.hpp"
#include "ops/ops_context.hpp"

namespace supportd::ops {

// GET /healthz: the process is up and serving. Needs nothing else, Redis included.
awaitable<http::response> healthz(const http::request& req, ops_context& ctx);

// GET /readyz: Redis answers PING within a short deadline and shutdown has not begun.
awaitable<http::response> readyz(const http::request& req, ops_context& ctx);

// GET /metrics: Prometheus text exposition.
awaitable<http::response> metrics(const http::request& req, ops_context& ctx);

// GET /admin/summary (admin token): recurring pledges and MRR by currency (the stats hashes),
// reminders (pending, overdue, in flight, dead) and webhooks (backlog, dead letters), from Redis.
awaitable<http::response> admin_summary(const http::request& req, ops_context& ctx);

// POST /admin/reconcile (admin token): rebuilds the pledge stats hashes from the pledges in
// Redis (pledge_store::reconcile_stats). Not against the provider: see the README.
awaitable<http::response> admin_reconcile(const http::request& req, ops_context& ctx);

}  // namespace supportd::ops

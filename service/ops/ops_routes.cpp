#include "ops/ops_routes.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "http/admin_access.hpp"
#include "http/problem.hpp"
#include "log/logger.hpp"
#include "metrics/registry.hpp"
#include "ops/ops_context.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_store.hpp"
#include "redis/connection.hpp"
#include "reminders/reminder_store.hpp"
#include "webhooks/event_stream.hpp"

namespace supportd::ops {

awaitable<http::response> healthz(const http::request&, ops_context&) {
  co_return http::response::json(200, R"({"status":"ok"})");
}

awaitable<http::response> readyz(const http::request&, ops_context& ctx) {
  if (ctx.instance.draining()) {
    auto r = http::make_problem_response(
        http::service_unavailable("shutting_down", "This instance is shutting down."));
    co_return r;
  }
  if (ctx.instance.redis_ready()) {
    // A readiness probe must answer fast even when Redis hangs: a short deadline of its own.
    // A WAIT for replicas ahead of it on the connection holds it up to --redis-wait-timeout
    // more; replicas that lag make writes answer 503, not the instance unready.
    auto deadline = std::min(ctx.settings.redis_timeout, std::chrono::milliseconds(1000));
    if (ctx.settings.redis_wait_replicas > 0) {
      deadline += ctx.settings.redis_wait_timeout;
    }
    std::string_view ping[] = {"PING"};
    auto reply = co_await ctx.redis.command(ping, deadline);
    if (reply && redis::expect_status(*reply, "PONG")) {
      co_return http::response::json(200, R"({"status":"ready","redis":"up"})");
    }
  }
  auto r = http::make_problem_response(
      http::service_unavailable("redis_unavailable", "Redis does not answer."));
  r.with_header("Retry-After", "1");
  co_return r;
}

awaitable<http::response> metrics(const http::request&, ops_context& ctx) {
  co_return http::response::of_type(200, "text/plain; version=0.0.4; charset=utf-8",
                                    ctx.metrics.render());
}

namespace {

// {"active":{currency:n},"mrr_minor":{currency:n}}, into `out`.
void put_recurring_totals(boost::json::object& out, const pledges::recurring_totals& totals) {
  boost::json::object active;
  boost::json::object mrr;
  for (const auto& [currency, count] : totals.active) {
    active[currency] = count;
  }
  for (const auto& [currency, minor] : totals.mrr_minor) {
    mrr[currency] = minor;
  }
  out["active"] = std::move(active);
  out["mrr_minor"] = std::move(mrr);
}

}  // namespace

awaitable<http::response> admin_summary(const http::request& req, ops_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  const auto& prefix = ctx.settings.redis_prefix;
  pledges::pledge_store pledge_store(ctx.redis, prefix);
  reminders::reminder_store reminder_store(ctx.redis, prefix);
  webhooks::event_stream events(ctx.redis, prefix);
  // Four reads on this worker's pipelined connection; each is consistent on its own.
  auto stats = co_await pledge_store.stats();
  auto reminder_counts = co_await reminder_store.counts(core::now_unix_ms());
  auto backlog = co_await events.backlog();
  auto dead_letters = co_await events.dead_letter_count();
  if (!stats || !reminder_counts || !backlog || !dead_letters) {
    co_return http::store_unavailable_response();
  }
  // Every replica publishes what it read; the periodic task would within seconds anyway.
  ctx.pledge_stats.recurring->publish(stats->totals);

  boost::json::object pledges_out;
  put_recurring_totals(pledges_out, stats->totals);
  pledges_out["stats_reconciled_at"] =
      stats->reconciled_at_ms
          ? boost::json::value(core::format_rfc3339(*stats->reconciled_at_ms / 1000))
          : boost::json::value(nullptr);
  boost::json::object out{
      {"pledges", std::move(pledges_out)},
      {"reminders",
       {{"pending", reminder_counts->pending},
        {"overdue", reminder_counts->overdue},
        {"in_flight", reminder_counts->leased},
        {"dead", reminder_counts->dead}}},
      {"webhooks", {{"backlog", *backlog}, {"dead_letters", *dead_letters}}},
  };
  log::info("admin read the summary", {{"who", "admin"}, {"request_id", req.request_id}});
  co_return http::response::json(200, boost::json::serialize(out));
}

awaitable<http::response> admin_reconcile(const http::request& req, ops_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  pledges::pledge_store store(ctx.redis, ctx.settings.redis_prefix);
  auto r = co_await store.reconcile_stats();
  if (!r) {
    co_return http::store_unavailable_response();
  }
  if (r->what == pledges::reconciliation::outcome::kept_changing) {
    log::warn("admin reconcile gave up: pledges kept changing",
              {{"who", "admin"}, {"request_id", req.request_id}, {"attempts", r->attempts}});
    auto busy = http::make_problem_response(http::service_unavailable(
        "stats_busy", "Pledges entered or left the counts during every attempt; try again."));
    busy.with_header("Retry-After", "5");
    co_return busy;
  }
  ctx.pledge_stats.recurring->publish(r->totals);
  // Who and what, never which pledges: currencies and counts only.
  log::info("admin reconciled pledge stats", {{"who", "admin"},
                                              {"request_id", req.request_id},
                                              {"scanned", r->scanned},
                                              {"corrected", r->corrected},
                                              {"attempts", r->attempts}});
  boost::json::object out{{"scanned", r->scanned}};
  put_recurring_totals(out, r->totals);
  out["corrected"] = r->corrected;
  boost::json::object before;
  put_recurring_totals(before, r->before);
  out["before"] = std::move(before);
  co_return http::response::json(200, boost::json::serialize(out));
}

}  // namespace supportd::ops

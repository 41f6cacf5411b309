#include "reconcile/reconcile_routes.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "http/admin_access.hpp"
#include "http/problem.hpp"
#include "log/logger.hpp"
#include "pledges/pledge_store.hpp"
#include "reconcile/reconcile_context.hpp"
#include "reconcile/reconcile_store.hpp"
#include "reconcile/stripe_reconciler.hpp"

namespace supportd::reconcile {
namespace {

namespace json = boost::json;

json::value time_or_null(std::optional<std::int64_t> unix_seconds) {
  return unix_seconds ? json::value(core::format_rfc3339(*unix_seconds)) : json::value(nullptr);
}

json::object report_json(const run_report& r) {
  return {
      {"trigger", r.trigger},
      {"outcome", to_string(r.outcome)},
      {"started_at", core::format_rfc3339(r.started_at_ms / 1000)},
      {"finished_at", core::format_rfc3339(r.finished_at_ms / 1000)},
      {"since", core::format_rfc3339(r.since)},
      {"first_run", r.first_run},
      {"checkpoint_expired", r.checkpoint_expired},
      {"passes", r.passes},
      {"pages", r.pages},
      {"listed", r.listed},
      {"fed", r.fed},
      {"already_applied", r.already_applied},
      {"ignored", r.ignored},
      {"checkpoint", time_or_null(r.checkpoint > 0 ? std::optional(r.checkpoint) : std::nullopt)}};
}

}  // namespace

awaitable<http::response> start_stripe_reconcile(const http::request& req, reconcile_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  if (ctx.reconciler == nullptr) {
    co_return http::make_problem_response(
        http::service_unavailable("reconcile_off",
                                  "Reconciling with Stripe needs --stripe-secret-key-file and "
                                  "--stripe-webhook-secret-file."));
  }
  auto started = co_await ctx.reconciler->try_start("admin", std::chrono::milliseconds(0));
  if (!started) {
    co_return http::store_unavailable_response();
  }
  if (started->attempt.what != start_attempt::outcome::started) {
    co_return http::make_problem_response(
        409, "reconcile_running", "Conflict",
        "A reconciliation with Stripe has been running since " +
            core::format_rfc3339(started->attempt.last_started_ms / 1000) +
            "; GET /admin/reconcile/stripe follows it.");
  }
  const auto window = started->run.window;
  // The run outlives this request: it is this worker's, like the webhook processors.
  auto executor = co_await net::this_coro::executor;
  net::co_spawn(executor, ctx.reconciler->run(std::move(started->run)), net::detached);
  log::info("admin started a stripe reconciliation",
            {{"who", "admin"}, {"request_id", req.request_id}, {"since", window.since}});
  json::object out{{"started", true},
                   {"since", core::format_rfc3339(window.since)},
                   {"first_run", window.first_run},
                   {"checkpoint_expired", window.checkpoint_expired},
                   {"status", "/admin/reconcile/stripe"}};
  auto r = http::response::json(202, json::serialize(out));
  r.with_header("Location", "/admin/reconcile/stripe");
  co_return r;
}

awaitable<http::response> stripe_reconcile_status(const http::request& req,
                                                  reconcile_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  reconcile_store store(ctx.redis, ctx.settings.redis_prefix);
  auto status = co_await store.status();
  if (!status) {
    co_return http::store_unavailable_response();
  }
  const auto now = core::now_unix_ms() / 1000;
  json::object out{
      {"enabled", ctx.reconciler != nullptr},
      {"interval_seconds", ctx.settings.stripe_reconcile_interval.count() / 1000},
      {"running", status->running},
      {"running_since",
       status->running ? time_or_null(status->last_started_ms / 1000) : json::value(nullptr)},
      {"checkpoint", time_or_null(status->checkpoint)},
      {"checkpoint_age_seconds",
       status->checkpoint ? json::value(std::max<std::int64_t>(0, now - *status->checkpoint))
                          : json::value(nullptr)},
      {"last_run", status->last ? json::value(report_json(*status->last)) : json::value(nullptr)},
  };
  co_return http::response::json(200, json::serialize(out));
}

}  // namespace supportd::reconcile

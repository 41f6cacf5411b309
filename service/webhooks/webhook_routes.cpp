#include "webhooks/webhook_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "http/admin_access.hpp"
#include "http/problem.hpp"
#include "log/logger.hpp"
#include "redis/replica_wait.hpp"
#include "security/secrets.hpp"
#include "webhooks/event_stream.hpp"
#include "webhooks/stripe_event.hpp"
#include "webhooks/stripe_signature.hpp"
#include "webhooks/webhook_context.hpp"
#include "webhooks/webhook_metrics.hpp"

namespace supportd::webhooks {
namespace {

// About how many dead letters one GET /admin/dead-letters answers (HSCAN's COUNT).
constexpr std::size_t dead_letters_per_page = 100;

http::response refuse(int status, std::string code, std::string detail) {
  return http::make_problem_response(
      {status, std::move(code), status == 400 ? "Bad Request" : "Error", std::move(detail), {}});
}

}  // namespace

awaitable<http::response> receive_stripe(const http::request& req, webhook_context& ctx) {
  const auto& s = ctx.settings;
  auto& m = ctx.stats;
  if (s.stripe_webhook_secrets.empty()) {
    co_return http::make_problem_response(http::service_unavailable(
        "webhooks_off", "Stripe webhooks are off: --stripe-webhook-secret-file is not set."));
  }
  const auto now = core::now_unix_ms() / 1000;
  auto verdict = verify_stripe_signature(req.header_value("Stripe-Signature"), req.body,
                                         s.stripe_webhook_secrets, now,
                                         s.stripe_webhook_tolerance.count() / 1000);
  if (verdict != signature_verdict::valid) {
    m.signature_failures.with({"stripe", to_string(verdict)}).inc();
    m.received.with({"stripe", "other", "bad_signature"}).inc();
    co_return refuse(400, "bad_signature", "The Stripe-Signature does not verify.");
  }
  auto parsed = parse_stripe_event(req.body);
  if (parsed.kind == event_kind::malformed) {
    m.received.with({"stripe", "other", "malformed"}).inc();
    co_return refuse(400, "malformed_event", "The body is not a Stripe event.");
  }
  const auto type = type_label(parsed.type);
  if (parsed.livemode != s.stripe_livemode) {
    // Dropped, but acknowledged: a 4xx would have Stripe retry it for three days.
    m.received.with({"stripe", type, "wrong_mode"}).inc();
    log::warn("stripe event of the other mode dropped", {{"type", type}});
    co_return http::response::json(200, R"({"received":true,"ignored":"wrong_mode"})");
  }
  // Durable first, then the answer: once Stripe hears 200 the event cannot be lost.
  event_stream stream(ctx.redis, s.redis_prefix);
  const auto written_on = ctx.replication.session();
  auto appended =
      co_await stream.append(parsed.update.event_id, parsed.type, req.body, s.webhook_max_backlog);
  if (!appended) {
    m.received.with({"stripe", type, "unavailable"}).inc();
    co_return http::store_unavailable_response();
  }
  if (!*appended) {
    // Refused rather than stored at the cost of events already acknowledged: Stripe retries
    // for three days, while the processors catch up.
    m.received.with({"stripe", type, "backlog_full"}).inc();
    log::warn("stripe event refused: the webhook backlog is full",
              {{"type", type}, {"max_backlog", s.webhook_max_backlog}});
    auto r = http::make_problem_response(http::service_unavailable(
        "backlog_full", "Too many events wait to be processed; Stripe will retry."));
    r.with_header("Retry-After", "60");
    co_return r;
  }
  // Not acknowledged until Redis's replicas have it too (--redis-wait-replicas): Stripe retries
  // a 503, and the event's dedupe mark gives the stored copy and the retry one effect.
  auto held = co_await ctx.replication.confirm(written_on);
  if (held != redis::replica_wait::outcome::confirmed) {
    m.received.with({"stripe", type, "not_replicated"}).inc();
    co_return http::store_not_replicated_response();
  }
  m.received.with({"stripe", type, "accepted"}).inc();
  co_return http::response::json(200, R"({"received":true})");
}

awaitable<http::response> list_dead_letters(const http::request& req, webhook_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  // A page at a time, as the reminder re-seal walks: the cursor is HSCAN's, an unsigned decimal.
  auto cursor = req.query_param("cursor");
  if (cursor.empty()) {
    cursor = "0";
  }
  if (cursor.size() > 20 || cursor.find_first_not_of("0123456789") != std::string::npos) {
    co_return http::make_problem_response(http::invalid_fields(
        {{"cursor", "invalid", "Give the cursor the last page answered, or none to start."}}));
  }
  event_stream stream(ctx.redis, ctx.settings.redis_prefix);
  auto page = co_await stream.dead_letters(cursor, dead_letters_per_page);
  if (!page) {
    co_return http::store_unavailable_response();
  }
  boost::json::array out;
  for (const auto& [id, letter] : page->letters) {
    boost::system::error_code ec;
    auto parsed = boost::json::parse(letter, ec);
    if (!ec && parsed.is_object()) {
      parsed.as_object().erase("body");  // the event itself may hold personal data
      out.push_back(std::move(parsed));
    }
  }
  log::info("admin listed dead letters", {{"count", static_cast<std::int64_t>(out.size())}});
  const bool done = page->next_cursor == "0";
  co_return http::response::json(
      200, boost::json::serialize(boost::json::object{{"dead_letters", std::move(out)},
                                                      {"cursor", std::move(page->next_cursor)},
                                                      {"done", done}}));
}

awaitable<http::response> replay_dead_letter(const http::request& req, webhook_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  auto id = req.path_param("id");
  event_stream stream(ctx.redis, ctx.settings.redis_prefix);
  auto replayed = co_await stream.replay(id);
  if (!replayed) {
    co_return http::store_unavailable_response();
  }
  if (!*replayed) {
    co_return http::make_problem_response(http::not_found());
  }
  log::info("admin replayed a dead letter", {{"stream_id", id}});
  co_return http::response::json(202, R"({"replayed":true})");
}

}  // namespace supportd::webhooks

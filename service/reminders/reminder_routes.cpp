#include "reminders/reminder_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "http/admin_access.hpp"
#include "http/cors.hpp"
#include "http/field_checks.hpp"
#include "http/form.hpp"
#include "http/html_page.hpp"
#include "http/problem.hpp"
#include "limits/public_gate.hpp"
#include "log/logger.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_context.hpp"
#include "reminders/reminder_id.hpp"
#include "reminders/reminder_metrics.hpp"
#include "reminders/reminder_request.hpp"
#include "reminders/reminder_signup.hpp"
#include "reminders/reminder_store.hpp"
#include "reminders/schedule.hpp"
#include "security/data_keys.hpp"
#include "security/reader_hash.hpp"
#include "security/secrets.hpp"

namespace supportd::reminders {
namespace {

http::response reminders_off() {
  return http::make_problem_response(
      http::service_unavailable("reminders_off", "Reminders are off: --data-key-file is not set."));
}

http::response too_many(int retry_after_seconds, std::string_view detail) {
  auto r =
      http::make_problem_response(429, "rate_limited", "Too Many Requests", std::string(detail));
  r.with_header("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

std::string_view status_name(v1::Reminder::Status status) {
  switch (status) {
    case v1::Reminder::PENDING:
      return "pending";
    case v1::Reminder::DELIVERED:
      return "delivered";
    case v1::Reminder::UNSUBSCRIBED:
      return "unsubscribed";
    case v1::Reminder::CANCELLED:
      return "cancelled";
    case v1::Reminder::DEAD:
      return "dead";
    case v1::Reminder::DUPLICATE:
      return "duplicate";
    default:
      return "unknown";
  }
}

// Status and schedule; never the address.
boost::json::object to_json(std::string_view id, const v1::Reminder& r) {
  boost::json::object out{{"id", id},
                          {"status", status_name(r.status())},
                          {"due_at", core::format_rfc3339(r.due_at_unix())},
                          {"campaign", r.campaign()},
                          {"component", r.component()}};
  if (r.every_months() > 0) {
    out["every_months"] = r.every_months();
  }
  return out;
}

// Nothing (go ahead) when reminders are on and the caller holds the reminder's manage token or
// the admin token. Otherwise 401 without a token, and 404 for an unknown id and a wrong token
// alike, so ids cannot be probed.
std::optional<http::response> refuse_unless_manager(const http::request& req,
                                                    const reminder_context& ctx,
                                                    std::string_view id) {
  const auto& s = ctx.settings;
  if (!ctx.book) {
    return reminders_off();
  }
  auto token = req.bearer_token();
  if (token.empty()) {
    return http::unauthorized_response("the reminder's manage token");
  }
  // Anything but a manage token (rt_…) can only be the admin token: checked, and throttled per
  // address, as on /admin/*, so these public routes are no way round the throttle.
  if (!token.starts_with("rt_")) {
    auto refusal = http::refuse_unless_admin(req, s);
    if (refusal && refusal->status == 429) {
      return refusal;
    }
    if (!refusal && is_reminder_id(id)) {
      return std::nullopt;
    }
  } else if (is_reminder_id(id) &&
             security::constant_time_equal(manage_token(s.link_secret, id), token)) {
    return std::nullopt;
  }
  return http::make_problem_response(http::not_found());
}

std::string_view refusal_reason(signup_outcome::kind what) {
  switch (what) {
    case signup_outcome::kind::reader_limited:
      return "email_rate_limited";
    case signup_outcome::kind::not_replicated:
      return "not_replicated";
    default:
      return "unavailable";
  }
}

http::response refusal_of(const signup_outcome& outcome) {
  switch (outcome.what) {
    case signup_outcome::kind::reader_limited:
      return too_many(outcome.retry_after_seconds,
                      "Too many sign-ups for this address; try again later.");
    case signup_outcome::kind::not_replicated:
      return http::store_not_replicated_response();
    default:
      return http::store_unavailable_response();
  }
}

// A plain form's reader goes back to the site's thanks page, or gets a page of ours.
http::response signed_up_page(const config::settings& s, const signup& done) {
  if (!s.reminder_thanks_url.empty()) {
    return http::response::see_other(s.reminder_thanks_url);
  }
  return http::html_page(201, "We will remind you",
                         "<p>Thank you. We will email you on " +
                             core::format_rfc3339(done.due_unix).substr(0, 10) + ".</p>");
}

http::response signed_up_json(const config::settings& s, const valid_reminder& reminder,
                              const signup& done) {
  boost::json::object body{{"id", done.id},
                           {"status", "pending"},
                           {"due_at", core::format_rfc3339(done.due_unix)},
                           {"manage_token", manage_token(s.link_secret, done.id)}};
  if (reminder.every_months > 0) {
    body["every_months"] = reminder.every_months;
  }
  auto r = http::response::json(201, boost::json::serialize(body));
  r.with_header("Location", "/v1/reminders/" + done.id);
  return r;
}

http::response link_broken() {
  return http::html_page(403, "This link does not work",
                         "<p>The link has expired or is not valid. Use the newest reminder email "
                         "from us, or reply to it and we will unsubscribe you.</p>");
}

}  // namespace

awaitable<http::response> reminder_preflight(const http::request& req, reminder_context& ctx) {
  co_return http::preflight(req, ctx.settings.allowed_origins, "POST", "Content-Type");
}

awaitable<http::response> create_reminder(const http::request& req, reminder_context& ctx) {
  const auto& s = ctx.settings;
  auto& refused = ctx.stats.refused;
  // Decided before the co_await: g++ 12 builds both arms of a conditional inside one.
  std::optional<http::response> off;
  if (!ctx.signup) {
    off = reminders_off();
  }
  auto gate = co_await ctx.gate.check(req, std::move(off),
                                      "This origin may not sign readers up for reminders.");
  if (gate.refusal) {
    if (!gate.refused_because.empty()) {
      refused.with({gate.refused_because}).inc();
    }
    co_return std::move(*gate.refusal);
  }
  const bool form = gate.form;
  auto answer = [&](http::response r) {
    http::add_cors_headers(r, req, gate.origin);
    return r;
  };

  auto parsed = form ? parse_form_fields(req.body) : parse_json_fields(req.body);
  if (auto* error = std::get_if<field_error>(&parsed)) {
    refused.with({"invalid"}).inc();
    co_return answer(http::invalid_fields_response({*error}, form, s.reminder_error_url));
  }
  const auto& fields = std::get<reminder_fields>(parsed);
  const auto now = core::now_unix_seconds();
  auto validated = validate(
      fields, reminder_rules{s.reminder_local_hour, s.reminder_time_zone, s.allowed_origins}, now);
  if (auto* errors = std::get_if<std::vector<field_error>>(&validated)) {
    refused.with({fields.card_number_seen ? "card_number" : "invalid"}).inc();
    co_return answer(http::invalid_fields_response(*errors, form, s.reminder_error_url));
  }
  const auto& reminder = std::get<valid_reminder>(validated);

  auto outcome = co_await ctx.signup->sign_up(reminder, now);
  if (outcome.what != signup_outcome::kind::signed_up) {
    refused.with({refusal_reason(outcome.what)}).inc();
    co_return answer(refusal_of(outcome));
  }
  // Every sign-up is a new reminder: nothing here, in the answer or the metrics, can tell
  // whether the address had one.
  ctx.stats.signups.with({"created"}).inc();
  log::info("reminder signed up",
            {{"reminder_id", outcome.done.id}, {"campaign", reminder.campaign}});
  co_return answer(form ? signed_up_page(s, outcome.done)
                        : signed_up_json(s, reminder, outcome.done));
}

awaitable<http::response> get_reminder(const http::request& req, reminder_context& ctx) {
  auto id = req.path_param("id");
  if (auto refusal = refuse_unless_manager(req, ctx, id)) {
    co_return *refusal;
  }
  auto found = co_await ctx.store.find(id);
  if (!found) {
    co_return http::store_unavailable_response();
  }
  if (!*found) {
    co_return http::make_problem_response(http::not_found());
  }
  auto r = http::response::json(200, boost::json::serialize(to_json(id, (*found)->value)));
  r.with_header("Cache-Control", "no-store");
  co_return r;
}

awaitable<http::response> delete_reminder(const http::request& req, reminder_context& ctx) {
  auto id = req.path_param("id");
  if (auto refusal = refuse_unless_manager(req, ctx, id)) {
    co_return *refusal;
  }
  auto removed = co_await ctx.book->remove(id);
  if (!removed) {
    co_return http::store_unavailable_response();
  }
  if (*removed == stop_outcome::not_found) {
    co_return http::make_problem_response(http::not_found());
  }
  ctx.stats.stopped.with({"delete"}).inc();
  log::info("reminder deleted", {{"reminder_id", id}});
  http::response r;
  r.status = 204;
  co_return r;
}

awaitable<http::response> unsubscribe(const http::request& req, reminder_context& ctx) {
  if (!ctx.book) {
    co_return reminders_off();
  }
  // The link carries both in its query; a form that lost the query may post them.
  auto id = req.query_param("id");
  auto token = req.query_param("token");
  if (req.has_media_type("application/x-www-form-urlencoded")) {
    if (id.empty()) {
      id = http::form_field(req.body, "id");
    }
    if (token.empty()) {
      token = http::form_field(req.body, "token");
    }
  }
  const auto now = core::now_unix_seconds();
  if (!is_reminder_id(id) || !ctx.book->unsubscribe_token_matches(id, token, now)) {
    co_return link_broken();
  }
  auto stopped = co_await ctx.book->unsubscribe(id, now);
  if (!stopped) {
    co_return http::store_unavailable_response();
  }
  if (*stopped == stop_outcome::stopped) {
    ctx.stats.stopped.with({"unsubscribe"}).inc();
    log::info("reminder unsubscribed", {{"reminder_id", id}});
  }
  // Whatever it was before, nothing will be sent now: the same answer every time.
  co_return http::html_page(200, "You are unsubscribed",
                            "<p>We will not send you this reminder again.</p>");
}

awaitable<http::response> unsubscribe_page(const http::request& req, reminder_context& ctx) {
  if (!ctx.book) {
    co_return reminders_off();
  }
  auto id = req.query_param("id");
  auto token = req.query_param("token");
  const auto now = core::now_unix_seconds();
  if (!is_reminder_id(id) || !ctx.book->unsubscribe_token_matches(id, token, now)) {
    co_return link_broken();
  }
  // The form posts back to this same URL (query included); id and token are base64url and
  // digits only, safe in attributes.
  std::string body =
      "<p>Stop this reminder? We will not email you about it again.</p>"
      "<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
      "value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>";
  co_return http::html_page(200, "Unsubscribe", body);
}

awaitable<http::response> erase_reader(const http::request& req, reminder_context& ctx) {
  const auto& s = ctx.settings;
  if (auto refusal = http::refuse_unless_admin(req, s)) {
    co_return *refusal;
  }
  if (!ctx.book) {
    co_return reminders_off();
  }
  boost::system::error_code ec;
  auto body = boost::json::parse(req.body, ec);
  const boost::json::value* email_value = nullptr;
  if (!ec && body.is_object()) {
    email_value = body.as_object().if_contains("email");
  }
  std::optional<std::string> email;
  if (email_value != nullptr && email_value->is_string()) {
    email = http::normalize_email(email_value->as_string());
  }
  if (!email) {
    co_return http::make_problem_response(
        http::invalid_fields({{"email", "invalid", "Send {\"email\": \"reader@example.org\"}."}}));
  }
  auto report = co_await ctx.book->erase_reader(*email);
  if (!report) {
    co_return http::store_unavailable_response();
  }
  std::int64_t pledges_erased = 0;
  if (ctx.erase_from_pledges) {
    auto erased = co_await ctx.erase_from_pledges(security::reader_hash(ctx.book->keys(), *email));
    if (!erased) {
      co_return http::store_unavailable_response();
    }
    pledges_erased = *erased;
  }
  ctx.stats.erasures.inc();
  log::info("admin erased a reader",
            {{"reminders_removed", report->reminders_removed}, {"pledges_erased", pledges_erased}});
  boost::json::object out{
      {"reminders_removed", report->reminders_removed},
      {"pledges_erased", pledges_erased},
      {"pledges",
       "Pledges keep the reader's address and name only sealed, for their messages; those are "
       "erased, the accounting stays. The payment provider holds them too, so erase the "
       "customer there."},
  };
  co_return http::response::json(200, boost::json::serialize(out));
}

awaitable<http::response> reseal_reminders(const http::request& req, reminder_context& ctx) {
  const auto& s = ctx.settings;
  if (auto refusal = http::refuse_unless_admin(req, s)) {
    co_return *refusal;
  }
  if (!ctx.book) {
    co_return reminders_off();
  }
  // SCAN's cursor is an unsigned decimal number; the default share keeps a call to seconds.
  auto cursor = req.query_param("cursor");
  if (cursor.empty()) {
    cursor = "0";
  }
  std::int64_t limit = 2000;
  auto limit_text = req.query_param("limit");
  std::vector<http::field_error> bad;
  if (cursor.size() > 20 || cursor.find_first_not_of("0123456789") != std::string::npos) {
    bad.push_back({"cursor", "invalid", "Give the cursor the last call answered."});
  }
  const auto* limit_end = limit_text.data() + limit_text.size();
  if (!limit_text.empty() && (std::from_chars(limit_text.data(), limit_end, limit) !=
                                  std::from_chars_result{limit_end, std::errc{}} ||
                              limit < 1 || limit > 100'000)) {
    bad.push_back({"limit", "out_of_range", "A number of reminders from 1 to 100000."});
  }
  if (!bad.empty()) {
    co_return http::make_problem_response(http::invalid_fields(std::move(bad)));
  }
  auto report = co_await ctx.book->reseal(cursor, limit);
  if (!report) {
    co_return http::store_unavailable_response();
  }
  log::info("admin re-sealed reminders", {{"examined", report->examined},
                                          {"resealed", report->resealed},
                                          {"unreadable", report->unreadable}});
  boost::json::object out{
      {"sealing_key", ctx.book->keys().sealing_key_id()},
      {"examined", report->examined},
      {"resealed", report->resealed},
      {"unreadable", report->unreadable},
      {"changed", report->changed},
      {"cursor", report->cursor},
      {"done", report->cursor == "0"},
  };
  co_return http::response::json(200, boost::json::serialize(out));
}

awaitable<http::response> list_dead_reminders(const http::request& req, reminder_context& ctx) {
  const auto& s = ctx.settings;
  if (auto refusal = http::refuse_unless_admin(req, s)) {
    co_return *refusal;
  }
  auto letters = co_await ctx.store.dead_letters(100);
  if (!letters) {
    co_return http::store_unavailable_response();
  }
  boost::json::array out;
  for (const auto& letter : *letters) {
    auto entry = to_json(letter.id, letter.value);
    entry["failed_attempts"] = letter.value.failed_attempts();
    entry["last_error"] = letter.value.last_error();
    entry["died_at"] = core::format_rfc3339(letter.value.updated_at_unix());
    out.push_back(std::move(entry));
  }
  log::info("admin listed reminder dead letters", {{"count", std::int64_t(out.size())}});
  co_return http::response::json(200, boost::json::serialize(out));
}

awaitable<http::response> replay_dead_reminder(const http::request& req, reminder_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  if (!ctx.book) {
    co_return reminders_off();
  }
  auto id = req.path_param("id");
  const auto now = core::now_unix_seconds();
  auto replayed = co_await ctx.book->replay_dead(id, now);
  if (!replayed) {
    co_return http::store_unavailable_response();
  }
  if (*replayed == replay_outcome::not_found) {
    co_return http::make_problem_response(http::not_found());
  }
  if (*replayed == replay_outcome::changed) {
    co_return http::make_problem_response(409, "changed", "Conflict",
                                          "The reminder changed meanwhile; list again.");
  }
  log::info("admin replayed a reminder dead letter", {{"reminder_id", id}});
  co_return http::response::json(
      202, boost::json::serialize(boost::json::object{{"id", id}, {"status", "pending"}}));
}

}  // namespace supportd::reminders

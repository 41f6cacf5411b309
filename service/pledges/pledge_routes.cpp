#include "pledges/pledge_routes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "core/pause.hpp"
#include "http/admin_access.hpp"
#include "http/client_address.hpp"
#include "http/cors.hpp"
#include "http/form.hpp"
#include "http/html_page.hpp"
#include "http/problem.hpp"
#include "limits/public_gate.hpp"
#include "log/logger.hpp"
#include "pledges/pledge_context.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_request.hpp"
#include "pledges/pledge_store.hpp"
#include "providers/checkout_provider.hpp"
#include "redis/errc.hpp"
#include "redis/replica_wait.hpp"
#include "security/reader_hash.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

constexpr auto cancel_link_lifetime = std::chrono::hours(24 * 90);

http::response pledges_off() {
  return http::make_problem_response(http::service_unavailable(
      "pledges_off", "Pledges are off: --stripe-secret-key-file is not set."));
}

boost::json::value optional_time(std::int64_t unix_ms) {
  return unix_ms == 0 ? boost::json::value(nullptr)
                      : boost::json::value(core::format_rfc3339(unix_ms / 1000));
}

// The reader's (and admin's) view of a pledge.
boost::json::object to_json(const pledge_record& p) {
  boost::json::array events;
  for (const auto& e : p.events) {
    events.push_back(boost::json::object{{"at", core::format_rfc3339(e.at_unix_ms() / 1000)},
                                         {"event", e.event()},
                                         {"from", e.from_state()},
                                         {"to", e.to_state()},
                                         {"source", e.source()}});
  }
  return boost::json::object{
      {"id", p.id},
      {"status", to_string(p.status)},
      {"amount_minor", p.amount_minor},
      {"currency", p.currency},
      {"interval", to_string(p.every)},
      {"payment_method", p.payment_method.empty() ? boost::json::value(nullptr)
                                                  : boost::json::value(p.payment_method)},
      {"campaign", p.source.campaign},
      {"component", p.source.component},
      {"created_at", core::format_rfc3339(p.created_at_ms / 1000)},
      {"updated_at", core::format_rfc3339(p.updated_at_ms / 1000)},
      {"charges_succeeded", p.charges_succeeded},
      {"total_given_minor", p.total_given_minor},
      {"total_refunded_minor", p.total_refunded_minor},
      {"last_charge_at", optional_time(p.last_charge_at_ms)},
      {"next_charge_at", optional_time(p.next_charge_at_ms)},
      {"consecutive_failures", p.consecutive_failures},
      {"events", std::move(events)},
  };
}

std::string cancel_link(const config::settings& s, const std::string& id) {
  if (s.link_secret.empty() || s.public_url.empty()) {
    return {};
  }
  auto expires = core::now_unix_ms() / 1000 +
                 std::chrono::duration_cast<std::chrono::seconds>(cancel_link_lifetime).count();
  return s.public_url + "/v1/pledges/" + id +
         "/cancel?token=" + security::sign_link(s.link_secret, "cancel-pledge", id, expires);
}

bool valid_cancel_link(const config::settings& s, std::string_view id, std::string_view token) {
  return security::verify_link(s.link_secret, "cancel-pledge", id, token,
                               core::now_unix_ms() / 1000);
}

// Every manage token begins with this: a bearer token without it can only be the admin token.
constexpr std::string_view token_prefix = "mt_";

enum class access { denied, reader, admin };

// Bearer manage token or admin token; or, where `link_token` is given, a signed cancel link.
// `p` is null for an unknown pledge: an admin guess is still counted then.
access check_access(const http::request& req, const config::settings& s, const pledge_record* p,
                    std::string_view link_token) {
  if (auto token = req.bearer_token(); !token.empty()) {
    // Anything but a manage token (mt_…) can only be the admin token: checked, and throttled per
    // address, as on /admin/*, so these public routes are no way round the throttle.
    if (!token.starts_with(token_prefix)) {
      return http::refuse_unless_admin(req, s) ? access::denied : access::admin;
    }
    if (p != nullptr && !p->manage_token_sha256.empty() &&
        security::constant_time_equal(security::sha256_hex(token), p->manage_token_sha256)) {
      return access::reader;
    }
  }
  if (p != nullptr && !link_token.empty() && valid_cancel_link(s, p->id, link_token)) {
    return access::reader;
  }
  return access::denied;
}

bool sane_id(std::string_view id) {
  return id.size() > 3 && id.size() <= 64 && id.starts_with("pl_") &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
         });
}

// The saved answer of an Idempotency-Key must not hand a capability to whoever reads Redis: it
// keeps the manage token's random part and the whole signed cancel link XORed with a key
// stream that only the key itself gives (HMAC blocks keyed by the Idempotency-Key, which Redis
// holds only as a hash), so only a caller presenting the same key gets them back. Each member
// has its own stream, never reused across 32-byte blocks (a cancel link's known prefix must not
// reveal the stream under its token). Block 0 is the pad answers were saved with before
// cancel links were sealed too, so those still replay.
std::string key_stream(std::string_view idempotency_key, std::string_view purpose,
                       std::string_view pledge_id, std::size_t length) {
  std::string stream;
  const std::string label = std::string(purpose) + "-pad|" + std::string(pledge_id);
  for (int block = 0; stream.size() < length; ++block) {
    stream += security::hmac_sha256(idempotency_key,
                                    block == 0 ? label : label + "|" + std::to_string(block));
  }
  return stream;
}

std::string xor_with(std::string_view text, std::string_view pad) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(out[i] ^ pad[i]);
  }
  return out;
}

constexpr std::string_view sealed_prefix = "sealed:";

// The capabilities of a pledge's first answer: member, the prefix kept in clear, the purpose
// naming its key stream, and whether an answer saved by an older version may hold it in clear
// (cancel links were sealed later; such answers expire within 24 h).
struct sealed_member {
  std::string_view name;
  std::string_view clear_prefix;
  std::string_view purpose;
  bool may_be_clear;
};
constexpr sealed_member sealed_members[] = {
    {"manage_token", token_prefix, "manage-token", false},
    {"cancel_link", "", "cancel-link", true},
};

// The answer as saved: its capabilities sealed.
std::string answer_to_save(boost::json::object body, std::string_view idempotency_key) {
  const std::string id(body.at("id").as_string());
  for (const auto& m : sealed_members) {
    auto* value = body.if_contains(m.name);
    if (value == nullptr || !value->is_string()) {
      continue;
    }
    std::string_view text = value->as_string();
    text.remove_prefix(std::min(text.size(), m.clear_prefix.size()));
    auto pad = key_stream(idempotency_key, m.purpose, id, text.size());
    *value = std::string(sealed_prefix) + security::to_hex(xor_with(text, pad));
  }
  return boost::json::serialize(body);
}

// The saved answer as it was first sent, or nullopt when it does not unseal.
std::optional<std::string> answer_to_replay(std::string_view saved,
                                            std::string_view idempotency_key) {
  boost::system::error_code ec;
  auto body = boost::json::parse(saved, ec);
  auto* o = !ec && body.is_object() ? &body.as_object() : nullptr;
  auto* id = o != nullptr ? o->if_contains("id") : nullptr;
  if (id == nullptr || !id->is_string() || o->if_contains("manage_token") == nullptr) {
    return std::nullopt;
  }
  const std::string pledge_id(id->as_string());
  for (const auto& m : sealed_members) {
    auto* value = o->if_contains(m.name);
    if (value == nullptr) {
      continue;
    }
    std::string_view sealed = value->is_string() ? value->as_string() : std::string_view();
    if (m.may_be_clear && value->is_string() && !sealed.starts_with(sealed_prefix)) {
      continue;
    }
    auto bytes = sealed.starts_with(sealed_prefix)
                     ? security::from_hex(sealed.substr(sealed_prefix.size()))
                     : std::nullopt;
    if (!bytes) {
      return std::nullopt;
    }
    auto pad = key_stream(idempotency_key, m.purpose, pledge_id, bytes->size());
    *value = std::string(m.clear_prefix) + xor_with(*bytes, pad);
  }
  return boost::json::serialize(*o);
}

}  // namespace

awaitable<http::response> pledge_preflight(const http::request& req, pledge_context& ctx) {
  co_return http::preflight(req, ctx.settings.allowed_origins, "POST",
                            "Content-Type, Idempotency-Key");
}

awaitable<http::response> create_pledge(const http::request& req, pledge_context& ctx) {
  const auto& s = ctx.settings;
  auto& refused = ctx.stats.refused;
  // Decided before the co_await: g++ 12 builds both arms of a conditional inside one.
  std::optional<http::response> off;
  if (ctx.checkout == nullptr) {
    off = pledges_off();
  }
  auto gate = co_await ctx.gate.check(req, std::move(off), "This origin may not post pledges.");
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
  const auto who = http::client_address(req, s.client_ip_header, s.trusted_proxy_hops);

  auto parsed = form ? parse_form_fields(req.body) : parse_json_fields(req.body);
  if (auto* error = std::get_if<field_error>(&parsed)) {
    refused.with({"invalid"}).inc();
    co_return answer(http::invalid_fields_response({*error}, form, s.pledge_error_url));
  }
  const auto& fields = std::get<pledge_fields>(parsed);
  std::string country;
  if (!s.country_header.empty()) {
    auto value = req.header_value(s.country_header);
    if (value.size() == 2 && std::isalpha(static_cast<unsigned char>(value[0])) &&
        std::isalpha(static_cast<unsigned char>(value[1]))) {
      country = value;
    }
  }
  auto validated = validate(fields, pledge_rules{ctx.limits, s.allowed_origins}, country);
  if (auto* errors = std::get_if<std::vector<field_error>>(&validated)) {
    refused.with({fields.card_number_seen ? "card_number" : "invalid"}).inc();
    co_return answer(http::invalid_fields_response(*errors, form, s.pledge_error_url));
  }
  const auto& pledge = std::get<valid_pledge>(validated);

  // The same Idempotency-Key with the same body answers as the first time. A plain form cannot
  // send the header, so its double-clicks and retries are caught by the same post from the same
  // address within the claim.
  std::string key(req.header_value("Idempotency-Key"));
  if (key.size() > 255 ||
      std::any_of(key.begin(), key.end(), [](char c) { return c < 0x21 || c > 0x7e; })) {
    co_return answer(
        http::make_problem_response(400, "bad_idempotency_key", "Bad Request",
                                    "Idempotency-Key must be 1 to 255 visible ASCII characters."));
  }
  if (key.empty() && form) {
    key = "form:" + security::sha256_hex(std::string(who) + "\n" + std::string(req.body));
  }
  // Redis keeps the key's hash, not the key: it unseals the saved manage token (answer_to_save).
  const auto key_id = key.empty() ? std::string() : security::sha256_hex(key);
  const auto request_hash =
      security::sha256_hex(std::string(form ? "form\n" : "json\n") + std::string(req.body));
  std::string pledge_id = "pl_" + security::random_token(12);
  pledge_store store(ctx.redis, s.redis_prefix);
  if (!key.empty()) {
    for (int waited = 0;; ++waited) {
      const auto read_on = ctx.replication.session();
      // Longer than the slowest checkout call (three attempts of 10 s and their pauses).
      auto claim =
          co_await store.reserve(key_id, request_hash, pledge_id, std::chrono::seconds(120));
      if (!claim) {
        co_return answer(http::store_unavailable_response());
      }
      if (claim->what == reservation::outcome::reserved) {
        break;
      }
      if (claim->what == reservation::outcome::replay) {
        // The first answer may have been a 503 because its pledge was not replicated in time:
        // replayed only once it is.
        auto held = co_await ctx.replication.confirm_read(read_on);
        if (held != redis::replica_wait::outcome::confirmed) {
          refused.with({"not_replicated"}).inc();
          co_return answer(http::store_not_replicated_response());
        }
        if (form) {
          co_return answer(http::response::see_other(claim->location));
        }
        auto replayed = answer_to_replay(claim->body, key);
        if (!replayed) {
          co_return answer(http::make_problem_response(http::internal_error()));
        }
        auto r = http::response::json(claim->status, std::move(*replayed));
        r.with_header("Idempotent-Replayed", "true");
        co_return answer(std::move(r));
      }
      if (claim->what == reservation::outcome::conflict) {
        refused.with({"idempotency_conflict"}).inc();
        co_return answer(
            http::make_problem_response(409, "idempotency_conflict", "Conflict",
                                        "This Idempotency-Key was used with a different request."));
      }
      // The same request is being handled right now (a double-click): wait for its answer.
      if (waited >= 50) {
        auto r =
            http::make_problem_response(409, "request_in_progress", "Conflict",
                                        "The same request is still being handled; retry shortly.");
        r.with_header("Retry-After", "1");
        co_return answer(std::move(r));
      }
      co_await pause(std::chrono::milliseconds(100));
    }
  }

  providers::checkout_request checkout{pledge_id,
                                       pledge.amount_minor,
                                       pledge.money,
                                       pledge.every,
                                       pledge.email,
                                       pledge.payment_method,
                                       pledge.locale,
                                       pledge.source.campaign,
                                       pledge.success_url,
                                       pledge.cancel_url,
                                       req.trace.child_traceparent()};
  auto session = co_await ctx.checkout->create_checkout(checkout);
  if (!session) {
    if (!key.empty()) {
      co_await store.release(key_id);
    }
    const bool rejected = session.error().what == providers::provider_error::kind::rejected;
    refused.with({rejected ? "provider_rejected" : "provider_unavailable"}).inc();
    if (rejected) {
      co_return answer(http::make_problem_response(502, "provider_rejected", "Bad Gateway",
                                                   "The payment provider refused this pledge."));
    }
    auto r =
        http::make_problem_response(503, "provider_unavailable", "Service Unavailable",
                                    "The payment provider is not answering; try again shortly.");
    r.with_header("Retry-After", "5");
    co_return answer(std::move(r));
  }

  const auto manage_token = "mt_" + security::random_token(24);
  pledge_record record;
  record.id = pledge_id;
  record.status = pledge_state::pending;
  record.amount_minor = pledge.amount_minor;
  record.currency = pledge.money.code;
  record.every = pledge.every;
  record.payment_method = pledge.payment_method;
  record.source = pledge.source;
  record.locale = pledge.locale;
  record.created_at_ms = record.updated_at_ms = core::now_unix_ms();
  record.checkout_session_id = session->id;
  record.checkout_url = session->url;
  record.manage_token_sha256 = security::sha256_hex(manage_token);
  // Anyone can post a pledge with any address: the reader's reminders for the campaign are
  // cancelled when it is paid (webhooks/event_processor.hpp), never here. The pledge keeps the
  // keyed hash that finds them, not the address.
  if (s.data_keys) {
    record.reminder_reader = security::reader_hash(*s.data_keys, pledge.email);
  }

  boost::json::object body{{"id", pledge_id},
                           {"status", "pending"},
                           {"checkout_url", session->url},
                           {"manage_token", manage_token},
                           {"amount_minor", pledge.amount_minor},
                           {"currency", pledge.money.code},
                           {"interval", to_string(pledge.every)}};
  if (auto link = cancel_link(s, pledge_id); !link.empty()) {
    body["cancel_link"] = link;
  }
  auto body_text = boost::json::serialize(body);
  const auto saved = key.empty() ? std::string() : answer_to_save(body, key);
  const auto written_on = ctx.replication.session();
  auto created = co_await store.create(record, key_id, 201, saved);
  if (!created) {
    if (!key.empty()) {
      co_await store.release(key_id);
    }
    co_return answer(http::store_unavailable_response());
  }
  if (!*created) {
    // Nothing was written: this request outlived its claim on the Idempotency-Key (it expired,
    // or another request holds it now). "Created" would hand out a checkout for a pledge that
    // does not exist, so the checkout is closed (best effort: it cannot be paid untracked) and
    // the client is told to ask again with the same key, which answers as the key's holder did.
    co_await ctx.checkout->abandon_checkout(session->id, req.trace.child_traceparent());
    refused.with({"not_stored"}).inc();
    log::warn("pledge not stored: its Idempotency-Key claim was lost", {{"pledge_id", pledge_id}});
    if (key.empty()) {
      // Only a clash with an existing pledge id refuses a write without a key: random ids make
      // that "cannot happen".
      co_return answer(http::make_problem_response(http::internal_error()));
    }
    auto r = http::make_problem_response(
        409, "idempotency_claim_lost", "Conflict",
        "This request took longer than its claim on the Idempotency-Key and nothing was stored; "
        "send it again with the same key.");
    r.with_header("Retry-After", "1");
    co_return answer(std::move(r));
  }
  ctx.stats.created
      .with({pledge.money.code, to_string(pledge.every), component_label(pledge.source.component)})
      .inc();
  log::info("pledge created", {{"pledge_id", pledge_id},
                               {"currency", pledge.money.code},
                               {"interval", to_string(pledge.every)},
                               {"amount_minor", pledge.amount_minor}});
  // Stored, but a failover before the replicas have it would lose it: not acknowledged until
  // they do. The saved answer stays, so the same request again replays it once replicated.
  auto held = co_await ctx.replication.confirm(written_on);
  if (held != redis::replica_wait::outcome::confirmed) {
    refused.with({"not_replicated"}).inc();
    co_return answer(http::store_not_replicated_response());
  }
  if (form) {
    co_return answer(http::response::see_other(session->url));
  }
  auto r = http::response::json(201, std::move(body_text));
  r.with_header("Location", "/v1/pledges/" + pledge_id);
  co_return answer(std::move(r));
}

awaitable<http::response> get_pledge(const http::request& req, pledge_context& ctx) {
  auto id = req.path_param("id");
  if (!sane_id(id)) {
    co_return http::make_problem_response(http::not_found());
  }
  pledge_store store(ctx.redis, ctx.settings.redis_prefix);
  auto found = co_await store.find(id);
  if (!found) {
    co_return http::store_unavailable_response();
  }
  // Unknown pledge and wrong token look the same: ids cannot be probed.
  const auto* pledge = *found ? &**found : nullptr;
  if (check_access(req, ctx.settings, pledge, {}) == access::denied || pledge == nullptr) {
    auto r = http::make_problem_response(http::not_found());
    if (req.header_value("Authorization").empty()) {
      r = http::make_problem_response(401, "unauthorized", "Unauthorized",
                                      "Send the pledge's manage token as a Bearer token.");
      r.with_header("WWW-Authenticate", "Bearer");
    }
    co_return r;
  }
  auto r = http::response::json(200, boost::json::serialize(to_json(**found)));
  r.with_header("Cache-Control", "no-store");
  co_return r;
}

awaitable<http::response> cancel_pledge(const http::request& req, pledge_context& ctx) {
  const auto& s = ctx.settings;
  auto id = req.path_param("id");
  if (!sane_id(id)) {
    co_return http::make_problem_response(http::not_found());
  }
  // A one-click link's form posts its token in the body (or keeps it in the query).
  std::string link_token = req.query_param("token");
  const bool form = req.has_media_type("application/x-www-form-urlencoded");
  if (link_token.empty() && form) {
    link_token = http::form_field(req.body, "token");
  }
  pledge_store store(ctx.redis, s.redis_prefix);
  auto found = co_await store.find(id);
  if (!found) {
    co_return http::store_unavailable_response();
  }
  const auto who = check_access(req, s, *found ? &**found : nullptr, link_token);
  if (who == access::denied || !*found) {
    co_return form
        ? http::html_page(403, "This link does not work",
                          "<p>The link has expired or is not valid. Use the newest email "
                          "from us, or contact us and we will cancel for you.</p>")
        : http::make_problem_response(http::not_found());
  }
  const auto& pledge = **found;

  // Stop the money first, then record it: a subscription Stripe knows of is ended whatever our
  // record says (events may be late), and an unfinished checkout is closed so it cannot be paid.
  const bool stop_subscription =
      !pledge.subscription_id.empty() && pledge.status != pledge_state::canceled;
  const bool close_checkout = pledge.subscription_id.empty() &&
                              pledge.status == pledge_state::pending &&
                              !pledge.checkout_session_id.empty();
  if (stop_subscription || close_checkout) {
    if (ctx.checkout == nullptr) {
      co_return pledges_off();
    }
    bool stopped = false;
    if (stop_subscription) {
      stopped = static_cast<bool>(co_await ctx.checkout->cancel_subscription(
          pledge.subscription_id, req.trace.child_traceparent()));
    } else {
      stopped = static_cast<bool>(co_await ctx.checkout->abandon_checkout(
          pledge.checkout_session_id, req.trace.child_traceparent()));
    }
    if (!stopped) {
      auto r = http::make_problem_response(
          503, "provider_unavailable", "Service Unavailable",
          "The payment provider is not answering; nothing was changed. Try again shortly.");
      r.with_header("Retry-After", "5");
      co_return r;
    }
  }
  auto applied =
      co_await store.apply(id, pledge_event::cancel_requested,
                           who == access::admin ? "admin" : "reader", pledge.subscription_id);
  if (!applied) {
    co_return http::store_unavailable_response();
  }
  if (applied->what == transition_result::outcome::applied) {
    ctx.stats.transitions.with({to_string(applied->before), to_string(applied->after)}).inc();
    log::info("pledge canceled",
              {{"pledge_id", id}, {"by", who == access::admin ? "admin" : "reader"}});
  }
  const auto status = applied->after;
  if (form) {
    co_return http::html_page(
        200, status == pledge_state::canceled ? "Your support is cancelled" : "Nothing to cancel",
        status == pledge_state::canceled
            ? "<p>No further payments will be taken. Thank you for your support.</p>"
            : "<p>This pledge has no payments to stop.</p>");
  }
  co_return http::response::json(
      200, boost::json::serialize(boost::json::object{{"id", id}, {"status", to_string(status)}}));
}

awaitable<http::response> cancel_page(const http::request& req, pledge_context& ctx) {
  auto id = req.path_param("id");
  auto token = req.query_param("token");
  if (!sane_id(id) || !valid_cancel_link(ctx.settings, id, token)) {
    co_return http::html_page(403, "This link does not work",
                              "<p>The link has expired or is not valid.</p>");
  }
  // Cancelling takes a button press: mail scanners that follow links must not cancel.
  std::string body =
      "<p>Stop your recurring support? No further payments will be taken.</p>"
      "<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"";
  body += token;  // base64url and digits only: safe in an attribute
  body += "\"><button type=\"submit\">Cancel my support</button></form>";
  co_return http::html_page(200, "Cancel your support", body);
}

}  // namespace supportd::pledges

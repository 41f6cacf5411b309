#include "pledges/pledge_routes.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <variant>

#include "config/settings.hpp"
#include "core/clock.hpp"
#include "http/admin_access.hpp"
#include "http/client_address.hpp"
#include "http/cors.hpp"
#include "http/form.hpp"
#include "http/html_page.hpp"
#include "http/problem.hpp"
#include "limits/public_gate.hpp"
#include "log/logger.hpp"
#include "pledges/change_request.hpp"
#include "pledges/manage_page.hpp"
#include "pledges/pledge_context.hpp"
#include "pledges/pledge_messenger.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_request.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

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
      // Only while ahead: a pause that is over leaves its date behind (pause_pledge.lua).
      {"paused_until",
       optional_time(p.paused_until_ms > core::now_unix_ms() ? p.paused_until_ms : 0)},
      {"events", std::move(events)},
  };
}

enum class access { denied, reader, admin };

// The signed links whose token may stand in for the manage token on a route: each is made for
// one purpose (cancel_links.hpp, pledge_links.hpp) and opens only the routes that take it.
enum class link_kind { none, cancel, manage, update_payment };
struct accepted_links {
  bool cancel = false;
  bool manage = false;
  bool update_payment = false;
};

struct admission {
  access who = access::denied;
  link_kind via = link_kind::none;  // the link that let the reader in, if one did
};

// The kind of signed link `link_token` is for pledge `id`, among those `links` accepts; none when
// it is no such link or has expired. Needs no Redis: only supportd signs them.
link_kind link_opening(const pledge_context& ctx, std::string_view id, std::string_view link_token,
                       accepted_links links) {
  if (link_token.empty()) {
    return link_kind::none;
  }
  const auto now = core::now_unix_seconds();
  if (links.cancel && ctx.links.valid(id, link_token, now)) {
    return link_kind::cancel;
  }
  if (links.manage && ctx.reader_links.manage_token_valid(id, link_token, now)) {
    return link_kind::manage;
  }
  if (links.update_payment && ctx.reader_links.update_payment_token_valid(id, link_token, now)) {
    return link_kind::update_payment;
  }
  return link_kind::none;
}

// Bearer manage token or admin token; or a signed link's token (`link_token`) of a kind
// `links` accepts. `p` is null for an unknown pledge: an admin guess is still counted then.
admission check_access(const http::request& req, const pledge_context& ctx, const pledge_record* p,
                       std::string_view link_token, accepted_links links = {}) {
  if (auto token = req.bearer_token(); !token.empty()) {
    // Anything but a manage token (mt_…) can only be the admin token: checked, and throttled per
    // address, as on /admin/*, so these public routes are no way round the throttle.
    if (!token.starts_with(manage_token_prefix)) {
      return {http::refuse_unless_admin(req, ctx.settings) ? access::denied : access::admin};
    }
    if (p != nullptr && !p->manage_token_sha256.empty() &&
        security::constant_time_equal(security::sha256_hex(token), p->manage_token_sha256)) {
      return {access::reader};
    }
  }
  if (p == nullptr) {
    return {};
  }
  const auto via = link_opening(ctx, p->id, link_token, links);
  return {via == link_kind::none ? access::denied : access::reader, via};
}

bool sane_id(std::string_view id) {
  return id.size() > 3 && id.size() <= 64 && id.starts_with("pl_") &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
         });
}

// The reader's country, from the trusted proxy's header (--country-header) when it holds two
// letters; empty otherwise.
std::string country_of(const http::request& req, const config::settings& s) {
  if (s.country_header.empty()) {
    return {};
  }
  auto value = req.header_value(s.country_header);
  if (value.size() == 2 && std::isalpha(static_cast<unsigned char>(value[0])) &&
      std::isalpha(static_cast<unsigned char>(value[1]))) {
    return std::string(value);
  }
  return {};
}

// Identifies a request to its Idempotency-Key: the same request sent again hashes the same.
std::string request_hash(const http::request& req, bool form) {
  return security::sha256_hex(std::string(form ? "form\n" : "json\n") + std::string(req.body));
}

http::response provider_unavailable(std::string detail) {
  auto r = http::make_problem_response(503, "provider_unavailable", "Service Unavailable",
                                       std::move(detail));
  r.with_header("Retry-After", "5");
  return r;
}

// The reason a checkout outcome is counted under in supportd_pledge_requests_refused_total; empty
// for the ones not counted.
std::string_view refusal_of(checkout_outcome::kind what) {
  using kind = checkout_outcome::kind;
  switch (what) {
    case kind::conflict:
      return "idempotency_conflict";
    case kind::claim_lost:
    case kind::not_stored:
      return "not_stored";
    case kind::provider_rejected:
      return "provider_rejected";
    case kind::provider_unavailable:
      return "provider_unavailable";
    case kind::not_replicated:
      return "not_replicated";
    case kind::created:
    case kind::replayed:
    case kind::in_progress:
    case kind::store_unavailable:
      break;
  }
  return {};
}

// The pledge a first answer (201) created: the `id` of its body; empty if it has none.
std::string created_pledge_id(std::string_view body) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(body, ec);
  const auto* id = !ec && parsed.is_object() ? parsed.as_object().if_contains("id") : nullptr;
  return id != nullptr && id->is_string() ? std::string(id->as_string()) : std::string{};
}

// A checkout outcome as the client hears it. A plain form post goes on to the checkout (303);
// a script gets the pledge as JSON.
http::response checkout_response(checkout_outcome outcome, bool form) {
  using kind = checkout_outcome::kind;
  switch (outcome.what) {
    case kind::created: {
      if (form) {
        return http::response::see_other(outcome.checkout_url);
      }
      auto r = http::response::json(201, std::move(*outcome.body));
      r.with_header("Location", "/v1/pledges/" + outcome.pledge_id);
      return r;
    }
    case kind::replayed: {
      if (form) {
        return http::response::see_other(outcome.checkout_url);
      }
      if (!outcome.body) {
        return http::make_problem_response(http::internal_error());
      }
      const auto created = outcome.status == 201 ? created_pledge_id(*outcome.body) : "";
      auto r = http::response::json(outcome.status, std::move(*outcome.body));
      r.with_header("Idempotent-Replayed", "true");
      if (!created.empty()) {
        r.with_header("Location", "/v1/pledges/" + created);  // as the first answer had it
      }
      return r;
    }
    case kind::conflict:
      return http::make_problem_response(409, "idempotency_conflict", "Conflict",
                                         "This Idempotency-Key was used with a different request.");
    case kind::in_progress: {
      auto r =
          http::make_problem_response(409, "request_in_progress", "Conflict",
                                      "The same request is still being handled; retry shortly.");
      r.with_header("Retry-After", "1");
      return r;
    }
    case kind::claim_lost: {
      auto r = http::make_problem_response(
          409, "idempotency_claim_lost", "Conflict",
          "This request took longer than its claim on the Idempotency-Key and nothing was "
          "stored; send it again with the same key.");
      r.with_header("Retry-After", "1");
      return r;
    }
    case kind::provider_rejected:
      return http::make_problem_response(502, "provider_rejected", "Bad Gateway",
                                         "The payment provider refused this pledge.");
    case kind::provider_unavailable:
      return provider_unavailable("The payment provider is not answering; try again shortly.");
    case kind::store_unavailable:
      return http::store_unavailable_response();
    case kind::not_replicated:
      return http::store_not_replicated_response();
    case kind::not_stored:
      break;
  }
  return http::make_problem_response(http::internal_error());
}

// A cancellation's outcome as the client hears it: a one-click link's form gets a page.
http::response cancellation_response(const cancellation_outcome& outcome, std::string_view id,
                                     bool form) {
  using kind = cancellation_outcome::kind;
  switch (outcome.what) {
    case kind::provider_off:
      return pledges_off();
    case kind::provider_unavailable:
      return provider_unavailable(
          "The payment provider is not answering; nothing was changed. Try again shortly.");
    case kind::store_unavailable:
      return http::store_unavailable_response();
    case kind::done:
      break;
  }
  const bool canceled = outcome.status == pledge_state::canceled;
  if (form) {
    return http::html_page(
        200, canceled ? "Your support is cancelled" : "Nothing to cancel",
        canceled ? "<p>No further payments will be taken. Thank you for your support.</p>"
                 : "<p>This pledge has no payments to stop.</p>");
  }
  return http::response::json(200, boost::json::serialize(boost::json::object{
                                       {"id", id}, {"status", to_string(outcome.status)}}));
}

// Where the manage page's form posts go back to: the page, opened with the manage link's token
// the form posted, saying what was done (`done`, a fixed word the page knows).
std::string manage_page_location(std::string_view id, std::string_view token,
                                 std::string_view done) {
  std::string location = "/v1/pledges/";
  location += id;
  location += "/manage?token=";
  location += http::encode_form_component(token);
  location += "&done=";
  location += done;
  return location;
}

// A reader's change request that is let in: the pledge as read, who asks, and what they sent.
struct change_call {
  pledge_record pledge;
  admission caller;
  change_fields fields;
  bool form = false;  // the manage page's form (else JSON)
  std::string link_token;

  std::string_view by() const { return caller.who == access::admin ? "admin" : "reader"; }
};

// Lets a change request in, or answers it. The body first (it may carry the link's token):
// one that is no body of ours, or that carries a card number, is refused before the pledge is
// read. An unknown pledge and a caller the pledge does not admit get the same 404, so ids and
// tokens cannot be probed.
awaitable<std::variant<http::response, change_call>> admit_change(const http::request& req,
                                                                  pledge_context& ctx,
                                                                  accepted_links links) {
  const auto id = req.path_param("id");
  if (!sane_id(id)) {
    co_return http::make_problem_response(http::not_found());
  }
  change_call call;
  call.form = req.has_media_type("application/x-www-form-urlencoded");
  if (!call.form && !req.body.empty() && !req.has_media_type("application/json")) {
    co_return http::make_problem_response(
        415, "unsupported_media_type", "Unsupported Media Type",
        "Send application/json or application/x-www-form-urlencoded.");
  }
  auto parsed = call.form ? parse_change_form(req.body) : parse_change_json(req.body);
  if (auto* error = std::get_if<field_error>(&parsed)) {
    co_return http::invalid_fields_response({*error}, false, {});
  }
  call.fields = std::move(std::get<change_fields>(parsed));
  if (call.fields.card_number_seen) {
    ctx.stats.refused.with({"card_number"}).inc();
    co_return http::invalid_fields_response({http::card_number_error()}, false, {});
  }
  call.link_token = req.query_param("token");
  if (call.link_token.empty()) {
    call.link_token = call.fields.token;
  }
  // Without a bearer token only a valid link admits: it is checked here, once, and anything
  // else is refused before Redis is asked, so a stranger's guesses cost no read and take the
  // same time for any pledge id.
  const bool bearer = !req.bearer_token().empty();
  const auto via = bearer ? link_kind::none : link_opening(ctx, id, call.link_token, links);
  if (!bearer && via == link_kind::none) {
    co_return http::make_problem_response(http::not_found());
  }
  auto found = co_await ctx.store.find(id);
  if (!found) {
    co_return http::store_unavailable_response();
  }
  call.caller = bearer ? check_access(req, ctx, *found ? &**found : nullptr, call.link_token, links)
                       : admission{access::reader, via};
  if (call.caller.who == access::denied || !*found) {
    co_return http::make_problem_response(http::not_found());
  }
  call.pledge = std::move(**found);
  co_return call;
}

// The refusals of a change, as every change route gives them.
http::response change_refusal(const change_outcome& outcome) {
  using kind = change_outcome::kind;
  switch (outcome.what) {
    case kind::not_recurring:
      return http::make_problem_response(
          409, "not_recurring", "Conflict",
          "This pledge is a one-time gift: nothing recurs to change.");
    case kind::not_monthly:
      return http::make_problem_response(
          409, "pause_monthly_only", "Conflict",
          "Only a monthly pledge can pause; a yearly one can change its amount or cancel.");
    case kind::not_started:
      return http::make_problem_response(
          409, "pledge_not_started", "Conflict",
          "This pledge's checkout has not been paid: there is nothing to change yet.");
    case kind::ended:
      return http::make_problem_response(409, "pledge_ended", "Conflict",
                                         "This pledge has ended: there is nothing to change.");
    case kind::invalid:
      return http::invalid_fields_response(outcome.errors, false, {});
    case kind::no_customer:
      return http::make_problem_response(
          409, "customer_unknown", "Conflict",
          "The payment provider has not told us who pays for this pledge yet; try again after "
          "its next payment.");
    case kind::provider_off:
      return pledges_off();
    case kind::provider_rejected:
      return http::make_problem_response(502, "provider_rejected", "Bad Gateway",
                                         "The payment provider refused this change; nothing was "
                                         "changed.");
    case kind::provider_unavailable:
      return provider_unavailable(
          "The payment provider is not answering; nothing was changed. Try again shortly.");
    case kind::store_unavailable:
      return http::store_unavailable_response();
    case kind::missing:
      return http::make_problem_response(http::not_found());
    case kind::done:
      break;
  }
  return http::make_problem_response(http::internal_error());
}

// What the manage page says of a refused change of its form: `done` is what it would have said.
manage_notice refusal_notice(const change_outcome& outcome, manage_notice done) {
  using kind = change_outcome::kind;
  switch (outcome.what) {
    case kind::invalid:
      return done == manage_notice::amount_changed ? manage_notice::amount_refused
                                                   : manage_notice::not_changed;
    case kind::provider_unavailable:
    case kind::store_unavailable:
      return manage_notice::try_again;
    default:
      return manage_notice::not_changed;
  }
}

// A refused change of the manage page's form (opened by its link) goes back to the page, which
// says that nothing changed and why; others get the problem.
http::response refused_change(const change_call& call, const change_outcome& outcome,
                              manage_notice done) {
  if (call.form && call.caller.via == link_kind::manage &&
      outcome.what != change_outcome::kind::missing) {
    const auto notice = refusal_notice(outcome, done);
    auto r = http::response::see_other(
        manage_page_location(call.pledge.id, call.link_token, to_string(notice)));
    r.with_header("Cache-Control", "no-store");  // its Location carries the link's token
    return r;
  }
  return change_refusal(outcome);
}

// A change's answer: the manage page's form goes back to the page (303), saying `done`; a
// script gets the pledge as it is now, as GET /v1/pledges/{id} shows it.
awaitable<http::response> change_response(const change_call& call, const change_outcome& outcome,
                                          pledge_context& ctx, manage_notice notice) {
  const auto done = to_string(notice);
  if (outcome.what != change_outcome::kind::done) {
    co_return refused_change(call, outcome, notice);
  }
  const auto& id = call.pledge.id;
  if (call.form) {
    if (call.caller.via == link_kind::manage) {
      co_return http::response::see_other(manage_page_location(id, call.link_token, done));
    }
    // A form sent with a bearer token (a script's): a manage link of its own, when there are
    // signed links.
    auto page = ctx.reader_links.manage_url(id, core::now_unix_seconds());
    co_return http::response::see_other(page.empty() ? "/v1/pledges/" + id +
                                                           "/manage?done=" + std::string(done)
                                                     : page + "&done=" + std::string(done));
  }
  auto now = co_await ctx.store.find(id);
  if (!now) {
    co_return http::store_unavailable_response();
  }
  if (!*now) {
    co_return http::make_problem_response(http::not_found());
  }
  auto r = http::response::json(200, boost::json::serialize(to_json(**now)));
  r.with_header("Cache-Control", "no-store");
  co_return r;
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
  if (!ctx.checkout) {
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

  auto parsed = form ? parse_form_fields(req.body) : parse_json_fields(req.body);
  if (auto* error = std::get_if<field_error>(&parsed)) {
    refused.with({"invalid"}).inc();
    co_return answer(http::invalid_fields_response({*error}, form, s.pledge_error_url));
  }
  const auto& fields = std::get<pledge_fields>(parsed);
  auto validated =
      validate(fields, pledge_rules{ctx.limits, s.allowed_origins}, country_of(req, s));
  if (auto* errors = std::get_if<std::vector<field_error>>(&validated)) {
    refused.with({fields.card_number_seen ? "card_number" : "invalid"}).inc();
    co_return answer(http::invalid_fields_response(*errors, form, s.pledge_error_url));
  }
  const auto& pledge = std::get<valid_pledge>(validated);

  // The same Idempotency-Key with the same body answers as the first time. A plain form cannot
  // send the header, so its double-clicks and retries are caught by the same post from the same
  // address within the claim.
  auto key_text = req.header_value("Idempotency-Key");
  if (!key_text.empty() && !idempotency_key::well_formed(key_text)) {
    co_return answer(
        http::make_problem_response(400, "bad_idempotency_key", "Bad Request",
                                    "Idempotency-Key must be 1 to 255 visible ASCII characters."));
  }
  std::optional<idempotency_key> key;
  if (!key_text.empty()) {
    key.emplace(std::string(key_text));
  } else if (form) {
    const auto who = http::client_address(req, s.client_ip_header, s.trusted_proxy_hops);
    key.emplace("form:" + security::sha256_hex(std::string(who) + "\n" + std::string(req.body)));
  }
  // Only a claim on a key compares requests.
  const auto hash = key ? request_hash(req, form) : std::string();

  auto outcome = co_await ctx.checkout->start(pledge, key, hash, req.trace);
  if (auto reason = refusal_of(outcome.what); !reason.empty()) {
    refused.with({reason}).inc();
  }
  co_return answer(checkout_response(std::move(outcome), form));
}

awaitable<http::response> get_pledge(const http::request& req, pledge_context& ctx) {
  auto id = req.path_param("id");
  if (!sane_id(id)) {
    co_return http::make_problem_response(http::not_found());
  }
  auto found = co_await ctx.store.find(id);
  if (!found) {
    co_return http::store_unavailable_response();
  }
  // Unknown pledge and wrong token look the same: ids cannot be probed.
  const auto* pledge = *found ? &**found : nullptr;
  if (check_access(req, ctx, pledge, {}).who == access::denied || pledge == nullptr) {
    auto r = http::make_problem_response(http::not_found());
    if (req.header_value("Authorization").empty()) {
      r = http::unauthorized_response("the pledge's manage token");
    }
    co_return r;
  }
  auto r = http::response::json(200, boost::json::serialize(to_json(**found)));
  r.with_header("Cache-Control", "no-store");
  co_return r;
}

awaitable<http::response> cancel_pledge(const http::request& req, pledge_context& ctx) {
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
  auto found = co_await ctx.store.find(id);
  if (!found) {
    co_return http::store_unavailable_response();
  }
  const auto who = check_access(req, ctx, *found ? &**found : nullptr, link_token,
                                {.cancel = true, .manage = true});
  if (who.who == access::denied || !*found) {
    co_return form
        ? http::html_page(403, "This link does not work",
                          "<p>The link has expired or is not valid. Use the newest email "
                          "from us, or contact us and we will cancel for you.</p>")
        : http::make_problem_response(http::not_found());
  }
  const std::string_view by = who.who == access::admin ? "admin" : "reader";
  auto outcome = co_await ctx.cancellation.cancel(**found, by, req.trace);
  // The manage page's form goes back to the page, which says it is done.
  if (form && who.via == link_kind::manage && outcome.what == cancellation_outcome::kind::done) {
    co_return http::response::see_other(manage_page_location(id, link_token, "canceled"));
  }
  co_return cancellation_response(outcome, id, form);
}

awaitable<http::response> change_amount(const http::request& req, pledge_context& ctx) {
  auto admitted = co_await admit_change(req, ctx, {.manage = true});
  if (auto* refusal = std::get_if<http::response>(&admitted)) {
    co_return std::move(*refusal);
  }
  const auto& call = std::get<change_call>(admitted);
  auto outcome =
      co_await ctx.changes.change_amount(call.pledge, call.fields.amount, call.by(), req.trace);
  co_return co_await change_response(call, outcome, ctx, manage_notice::amount_changed);
}

awaitable<http::response> pause_pledge(const http::request& req, pledge_context& ctx) {
  auto admitted = co_await admit_change(req, ctx, {.manage = true});
  if (auto* refusal = std::get_if<http::response>(&admitted)) {
    co_return std::move(*refusal);
  }
  const auto& call = std::get<change_call>(admitted);
  auto outcome = co_await ctx.changes.pause(call.pledge, call.fields.months, call.by(), req.trace);
  co_return co_await change_response(call, outcome, ctx, manage_notice::paused);
}

awaitable<http::response> resume_pledge(const http::request& req, pledge_context& ctx) {
  auto admitted = co_await admit_change(req, ctx, {.manage = true});
  if (auto* refusal = std::get_if<http::response>(&admitted)) {
    co_return std::move(*refusal);
  }
  const auto& call = std::get<change_call>(admitted);
  auto outcome = co_await ctx.changes.resume(call.pledge, call.by(), req.trace);
  co_return co_await change_response(call, outcome, ctx, manage_notice::resumed);
}

awaitable<http::response> update_payment_method(const http::request& req, pledge_context& ctx) {
  auto admitted = co_await admit_change(req, ctx, {.manage = true, .update_payment = true});
  if (auto* refusal = std::get_if<http::response>(&admitted)) {
    co_return std::move(*refusal);
  }
  const auto& call = std::get<change_call>(admitted);
  auto outcome = co_await ctx.changes.open_payment_method_page(call.pledge, req.trace);
  if (outcome.what != change_outcome::kind::done) {
    co_return refused_change(call, outcome, manage_notice::none);
  }
  // The provider's page is made for this click and lasts minutes: never cached, never stored.
  if (call.form) {
    auto r = http::response::see_other(outcome.url);
    r.with_header("Cache-Control", "no-store");
    co_return r;
  }
  auto r =
      http::response::json(200, boost::json::serialize(boost::json::object{{"url", outcome.url}}));
  r.with_header("Cache-Control", "no-store");
  co_return r;
}

awaitable<http::response> payment_method_page(const http::request& req, pledge_context& ctx) {
  auto id = req.path_param("id");
  auto token = req.query_param("token");
  const auto now = core::now_unix_seconds();
  if (!sane_id(id) || !(ctx.reader_links.update_payment_token_valid(id, token, now) ||
                        ctx.reader_links.manage_token_valid(id, token, now))) {
    co_return http::html_page(403, "This link does not work",
                              "<p>The link has expired or is not valid. Use the newest email "
                              "from us, or contact us and we will help.</p>");
  }
  // The provider's page is opened by a button: a mail scanner following the link opens none
  // (each is short-lived, and made for the click).
  std::string body =
      "<p>Update the card your support is paid with on our payment provider's secure page.</p>"
      "<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"";
  body += http::html_escaped(token);  // valid, so base64url and digits: escaped all the same
  body += "\"><button type=\"submit\">Update my card</button></form>";
  auto r = http::html_page(200, "Update your card", body);
  // The form's answer sends the browser on to the provider's page (303), which form-action
  // must allow: browsers hold a form's redirects to it too.
  for (auto& [name, value] : r.headers) {
    if (name == "Content-Security-Policy") {
      value = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https:";
    }
  }
  co_return r;
}

awaitable<http::response> cancel_page(const http::request& req, pledge_context& ctx) {
  auto id = req.path_param("id");
  auto token = req.query_param("token");
  if (!sane_id(id) || !ctx.links.valid(id, token, core::now_unix_seconds())) {
    co_return http::html_page(403, "This link does not work",
                              "<p>The link has expired or is not valid.</p>");
  }
  // Cancelling takes a button press: mail scanners that follow links must not cancel.
  std::string body =
      "<p>Stop your recurring support? No further payments will be taken.</p>"
      "<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"";
  body += http::html_escaped(token);  // valid, so base64url and digits: escaped all the same
  body += "\"><button type=\"submit\">Cancel my support</button></form>";
  co_return http::html_page(200, "Cancel your support", body);
}

awaitable<http::response> list_dead_messages(const http::request& req, pledge_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  auto letters = co_await ctx.outbox.dead_letters(100);
  if (!letters) {
    co_return http::store_unavailable_response();
  }
  boost::json::array out;
  for (const auto& letter : *letters) {
    out.push_back(boost::json::object{
        {"id", letter.id},
        {"pledge_id", pledge_of(letter.id)},
        {"failed_attempts", letter.failed_attempts},
        {"last_error", letter.last_error},
        {"died_at", core::format_rfc3339(letter.died_at_ms / 1000)},
    });
  }
  log::info("admin listed dead pledge messages", {{"count", std::int64_t(out.size())}});
  co_return http::response::json(200, boost::json::serialize(out));
}

awaitable<http::response> manage_page(const http::request& req, pledge_context& ctx) {
  const page_style style{ctx.settings.manage_page_stylesheet};
  const auto policy = manage_page_policy(style, card_page_origin(ctx.settings.stripe_api_base));
  // The token is in the page's URL: no cache keeps the page, no link on it passes the URL on as
  // a Referer, and no other site frames it.
  auto page = [&policy](int status, std::string html) {
    auto r = http::response::of_type(status, "text/html; charset=utf-8", std::move(html));
    r.with_header("Content-Security-Policy", policy);
    r.with_header("Cache-Control", "no-store");
    r.with_header("Referrer-Policy", "no-referrer");
    r.with_header("X-Frame-Options", "DENY");
    return r;
  };
  const auto id = req.path_param("id");
  const auto token = req.query_param("token");
  const auto now_ms = core::now_unix_ms();
  // A wrong or expired token and an unknown pledge get one answer: ids cannot be probed. Only a
  // valid token (which only supportd signs) costs a Redis read.
  if (!sane_id(id) || !ctx.reader_links.manage_token_valid(id, token, now_ms / 1000)) {
    co_return page(404, render_broken_link_page(style));
  }
  auto found = co_await ctx.store.find(id);
  if (!found) {
    co_return http::store_unavailable_response();
  }
  if (!*found) {
    co_return page(404, render_broken_link_page(style));
  }
  const auto& p = **found;
  auto view = view_of(
      p, ctx.limits,
      ctx.reader_links.restart_url(p.amount_minor, p.currency, p.every, p.source.campaign), now_ms);
  if (!view) {
    co_return http::make_problem_response(http::internal_error());
  }
  // Reading only: a mail scanner that follows the link, or a HEAD, changes nothing.
  co_return page(200,
                 render_manage_page(*view, token, style, parse_notice(req.query_param("done"))));
}

awaitable<http::response> replay_dead_message(const http::request& req, pledge_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  const auto id = req.path_param("id");
  // Only a pledge message's id names one: anything else is unknown, without asking Redis.
  if (pledge_of(id).empty()) {
    co_return http::make_problem_response(http::not_found());
  }
  auto replayed = co_await ctx.outbox.replay(id, core::now_unix_ms());
  if (!replayed) {
    co_return http::store_unavailable_response();
  }
  if (!*replayed) {
    co_return http::make_problem_response(http::not_found());
  }
  log::info("admin replayed a dead pledge message", {{"message", id}});
  co_return http::response::json(
      202, boost::json::serialize(boost::json::object{{"id", id}, {"status", "queued"}}));
}

}  // namespace supportd::pledges

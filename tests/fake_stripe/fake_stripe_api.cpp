#include "fake_stripe_api.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdio>
#include <limits>

#include "http/html_page.hpp"
#include "stripe_json.hpp"

namespace fake_stripe {
namespace json = boost::json;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') {
      break;
    }
    auto pos = alphabet.find(c);
    if (pos == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

api_response json_response(int status, std::string body) {
  api_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Answers to the controls: small JSON, not Stripe's format.
api_outcome control_answer(int status, const json::value& body) {
  api_outcome out;
  out.response = json_response(status, json::serialize(body));
  return out;
}

api_outcome control_error(int status, std::string message) {
  return control_answer(status, json::object{{"error", std::move(message)}});
}

api_outcome html_page(int status, std::string_view title, std::string_view body) {
  api_outcome out;
  out.response.status = status;
  out.response.content_type = "text/html; charset=utf-8";
  out.response.body =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      supportd::http::html_escaped(title) +
      "</title><style>body{font-family:sans-serif;max-width:28rem;margin:3rem "
      "auto;padding:0 1rem}.amount{font-size:2rem;font-weight:bold}button{font-"
      "size:1.1rem;padding:.6rem 2rem}</style></head><body>\n" +
      std::string(body) + "\n</body></html>\n";
  return out;
}

std::string mask_key(std::string_view key) {
  auto second = key.find('_', key.find('_') + 1);
  std::string_view prefix = second == std::string_view::npos ? "" : key.substr(0, second + 1);
  if (key.size() <= prefix.size() + 4) {
    return std::string(prefix) + std::string(key.size() - prefix.size(), '*');
  }
  return std::string(prefix) + std::string(key.size() - prefix.size() - 4, '*') +
         std::string(key.substr(key.size() - 4));
}

// The ids after a route's prefix: "/v1/subscriptions/sub_1" with "/v1/subscriptions/" → "sub_1".
std::optional<std::string> tail_of(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix) || path.size() == prefix.size()) {
    return std::nullopt;
  }
  auto rest = path.substr(prefix.size());
  if (rest.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(rest);
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

std::string interval_text(const price_spec& p) {
  if (!p.interval) {
    return "";
  }
  return p.interval_count == 1
             ? "per " + *p.interval
             : "every " + std::to_string(p.interval_count) + " " + *p.interval + "s";
}

const json::value* member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::optional<std::string> string_member(const json::object& o, std::string_view key) {
  auto v = member(o, key);
  if (v && v->is_string()) {
    return std::string(v->get_string());
  }
  return std::nullopt;
}

// The parameters by their full bracketed keys, as sent: {"line_items[0][quantity]": "1"}.
json::object flat_json(const form_params& params) {
  json::object o;
  for (const auto& [key, value] : params.flat()) {
    o[key] = value;
  }
  return o;
}

}  // namespace

std::string_view api_request::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) {
      return h.value;
    }
  }
  return {};
}

fake_stripe_api::fake_stripe_api(api_options options)
    : options_(std::move(options)),
      random_(options_.seed ? options_.seed : std::random_device{}()) {}

std::int64_t fake_stripe_api::now() const {
  if (options_.clock) {
    return options_.clock();
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string fake_stripe_api::random_id(std::string_view prefix, std::size_t length) {
  static constexpr std::string_view alphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string id(prefix);
  for (std::size_t i = 0; i < length; ++i) {
    id += alphabet[pick(random_)];
  }
  return id;
}

api_outcome fake_stripe_api::handle(const api_request& request) {
  std::string_view target = request.target;
  auto question = target.find('?');
  auto path = target.substr(0, question);
  auto query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  if (path.starts_with("/v1/")) {
    return handle_api(request, path, query);
  }
  if (path.starts_with("/__control/")) {
    return handle_control(request, path);
  }
  if (path.starts_with("/pay/")) {
    return handle_hosted(request, path);
  }
  if (path.starts_with("/billing/")) {
    return handle_portal(request, path);
  }
  if (path == "/" && request.method == "GET") {
    return html_page(200, "fake-stripe",
                     "<h1>fake-stripe</h1><p>A local stand-in for the Stripe API.</p>");
  }
  return html_page(404, "Not found", "<h1>Not found</h1>");
}

// --- the API ------------------------------------------------------------------------------

std::optional<stripe_error> fake_stripe_api::check_auth(const api_request& request,
                                                        std::string& api_key) const {
  auto authorization = request.header("Authorization");
  if (authorization.size() > 7 && iequals(authorization.substr(0, 7), "Bearer ")) {
    api_key = std::string(authorization.substr(7));
  } else if (authorization.size() > 6 && iequals(authorization.substr(0, 6), "Basic ")) {
    // curl -u sk_test_…: sends the key as the user name.
    auto decoded = base64_decode(authorization.substr(6));
    if (decoded) {
      api_key = decoded->substr(0, decoded->find(':'));
    }
  }
  if (api_key.empty()) {
    return stripe_error{
        401, "invalid_request_error", std::nullopt,
        "You did not provide an API key. You need to provide your API key in the Authorization "
        "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
        "https://stripe.com/docs/api#authentication for details, or we can help at "
        "https://support.stripe.com/.",
        std::nullopt};
  }
  bool valid = options_.secret_key
                   ? api_key == *options_.secret_key
                   : api_key.starts_with("sk_test_") || api_key.starts_with("rk_test_");
  if (!valid) {
    return stripe_error{401, "invalid_request_error", std::nullopt,
                        "Invalid API Key provided: " + mask_key(api_key), std::nullopt};
  }
  return std::nullopt;
}

api_outcome fake_stripe_api::handle_api(const api_request& request, std::string_view path,
                                        std::string_view query) {
  const auto request_id = random_id("req_", 14);
  std::string path_text(path);
  auto idempotency_header = request.header("Idempotency-Key");
  std::optional<std::string> idempotency_key;
  if (!idempotency_header.empty()) {
    idempotency_key = std::string(idempotency_header);
  }

  // Parameters: the body of a POST, the query of the rest (a DELETE may carry a body too).
  std::string params_text(request.method == "POST" ? std::string_view(request.body) : query);
  if (request.method == "DELETE" && !request.body.empty()) {
    params_text += (params_text.empty() ? "" : "&") + request.body;
  }
  auto parsed = form_params::parse(params_text);

  json::object log_entry{
      {"method", request.method},
      {"path", path_text},
      {"idempotency_key", idempotency_key ? json::value(*idempotency_key) : json::value(nullptr)},
      // W3C Trace Context, for tests of clients that pass their trace on (Stripe ignores it).
      {"traceparent", request.header("traceparent").empty()
                          ? json::value(nullptr)
                          : json::value(std::string(request.header("traceparent")))},
      {"params", parsed ? flat_json(*parsed) : json::object()},
      {"params_nested", parsed ? parsed->nested() : json::object()},
      {"request_id", request_id},
      {"at", now()}};

  api_outcome out;
  auto finish = [&](int status, std::string body) {
    out.response.status = status;
    out.response.body = std::move(body);
    out.response.headers.push_back({"Request-Id", request_id});
    auto version = request.header("Stripe-Version");
    out.response.headers.push_back(
        {"Stripe-Version", std::string(version.empty() ? api_version : version)});
    out.response.headers.push_back({"Cache-Control", "no-cache, no-store"});
    log_entry["status"] = status;
    request_log_.push_back(log_entry);
  };
  auto fail = [&](const stripe_error& e) {
    finish(e.status, e.body());
    if (e.status == 401) {
      out.response.headers.push_back({"WWW-Authenticate", "Basic realm=\"Stripe\""});
    }
  };

  // Failures injected by a test come first, as a network or Stripe outage would, and leave
  // nothing behind: no object, no idempotent result.
  if (!failures_.empty()) {
    auto f = failures_.front();
    failures_.pop_front();
    log_entry["injected"] = f.mode;
    if (f.mode == "drop") {
      log_entry["status"] = nullptr;
      request_log_.push_back(log_entry);
      out.drop = true;
      return out;
    }
    if (f.mode == "status") {
      stripe_error e;
      e.status = f.status;
      if (f.status == 429) {
        e.code = "rate_limit";
        e.message =
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.";
      } else if (f.status == 409) {
        e.code = "lock_timeout";
        e.message =
            "This object cannot be accessed right now because another API request or Stripe "
            "process is currently accessing it. If you see this error intermittently, retry the "
            "request. If you see this error frequently and are making multiple concurrent "
            "requests to a single object, make your requests serially or at a lower rate.";
      } else if (f.status >= 500) {
        e.type = "api_error";
        e.message =
            "Sorry, something went wrong. We've already been notified of the problem, but if you "
            "need any help, you can reach out to support at https://support.stripe.com/.";
      } else if (f.status == 402) {
        e.type = "card_error";
        e.code = "card_declined";
        e.message = "Your card was declined.";
      } else {
        e.message = "Injected failure.";
      }
      if (f.type) {
        e.type = *f.type;
      }
      if (f.code) {
        e.code = *f.code;
      }
      if (f.message) {
        e.message = *f.message;
      }
      fail(e);
      if (f.should_retry) {
        out.response.headers.push_back({"Stripe-Should-Retry", *f.should_retry ? "true" : "false"});
      }
      return out;
    }
    out.delay = std::chrono::milliseconds(f.delay_ms);  // slow: answered normally, late
  }

  std::string api_key;
  if (auto e = check_auth(request, api_key)) {
    fail(*e);
    return out;
  }
  if (!parsed) {
    fail(invalid_request(
        "Invalid request: the body is not valid application/x-www-form-urlencoded."));
    return out;
  }

  const bool idempotent = request.method == "POST" && idempotency_key.has_value();
  if (idempotent) {
    out.response.headers.push_back({"Idempotency-Key", *idempotency_key});
    if (idempotency_key->size() > 255) {
      fail(invalid_request("Invalid Idempotency-Key: it must be at most 255 characters long."));
      return out;
    }
    auto found =
        idempotency_.find(api_key, *idempotency_key, request.method, path_text, *parsed, now());
    if (auto* r = std::get_if<idempotency_store::replay>(&found)) {
      log_entry["replayed"] = true;
      finish(r->response.status, r->response.body);
      out.response.headers.push_back({"Original-Request", r->response.request_id});
      out.response.headers.push_back({"Idempotent-Replayed", "true"});
      return out;
    }
    if (auto* e = std::get_if<stripe_error>(&found)) {
      fail(*e);
      return out;
    }
  }

  request_context context{request_id, idempotency_key};
  auto r = route(request.method, path, *parsed, context);
  if (idempotent && r.ran) {
    idempotency_.save(api_key, *idempotency_key, request.method, path_text, *parsed,
                      saved_response{r.status, r.body, request_id}, now());
  }
  finish(r.status, std::move(r.body));
  if (request.method == "POST") {
    out.response.headers.push_back({"Original-Request", request_id});
  }
  out.events = std::move(r.events);
  return out;
}

fake_stripe_api::result fake_stripe_api::route(const std::string& method, std::string_view path,
                                               const form_params& params,
                                               const request_context& context) {
  if (path == "/v1/checkout/sessions" && method == "POST") {
    return create_checkout_session(params);
  }
  if (auto id = tail_of(path, "/v1/checkout/sessions/"); id && method == "GET") {
    return retrieve_session(*id);
  }
  if (path.starts_with("/v1/checkout/sessions/") && path.ends_with("/expire") && method == "POST") {
    auto id = path.substr(22, path.size() - 22 - 7);
    if (id.find('/') == std::string_view::npos && !id.empty()) {
      return expire_session(std::string(id), context);
    }
  }
  if (path == "/v1/billing_portal/sessions" && method == "POST") {
    return create_portal_session(params);
  }
  if (path == "/v1/events" && method == "GET") {
    return list_events(params);
  }
  if (auto id = tail_of(path, "/v1/events/"); id && method == "GET") {
    return retrieve_event(*id);
  }
  if (auto id = tail_of(path, "/v1/subscriptions/")) {
    if (method == "GET") {
      return retrieve_subscription(*id);
    }
    if (method == "POST") {
      return update_subscription(*id, params, context);
    }
    if (method == "DELETE") {
      return cancel_subscription(*id, params, context);
    }
  }
  auto e = invalid_request("Unrecognized request URL (" + method + ": " + std::string(path) +
                           "). Please see https://stripe.com/docs or we can help at "
                           "https://support.stripe.com/.");
  e.status = 404;
  return {404, e.body(), false, {}};
}

fake_stripe_api::result fake_stripe_api::create_checkout_session(const form_params& params) {
  const auto t = now();
  auto parsed = parse_checkout_request(params, t);
  if (auto* e = std::get_if<stripe_error>(&parsed)) {
    return {e->status, e->body(), false, {}};
  }
  session_record s;
  s.request = std::move(std::get<checkout_request>(parsed));
  s.id = random_id("cs_test_a1", 56);
  s.created = t;
  s.expires_at = s.request.expires_at.value_or(t + 86'400);
  s.url = options_.public_url + "/pay/" + s.id;
  s.payment_status = s.request.mode == "setup" ? "no_payment_required" : "unpaid";
  for (const auto& spec : s.request.line_items) {
    line_item_record item;
    item.id = random_id("li_test_");
    item.price.id = random_id("price_test_");
    item.price.product = spec.price.product.value_or(random_id("prod_test_", 14));
    item.price.spec = spec.price;
    // The product price_data[product_data] makes, or one named by id: either may be named by a
    // subscription item's price_data later.
    auto& name = products_[item.price.product];
    if (name.empty()) {
      name = spec.price.product_name;
    }
    item.price.created = t;
    item.quantity = spec.quantity;
    s.line_items.push_back(std::move(item));
  }
  auto body = to_stripe_json(session_json(s));
  sessions_.emplace(s.id, std::move(s));
  return {200, std::move(body), true, {}};
}

fake_stripe_api::result fake_stripe_api::retrieve_session(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    auto e = resource_missing("checkout.session", id, "session");
    return {e.status, e.body(), true, {}};
  }
  result r;
  expire_if_due(it->second, r.events);
  r.body = to_stripe_json(session_json(it->second));
  return r;
}

fake_stripe_api::result fake_stripe_api::expire_session(const std::string& id,
                                                        const request_context& context) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    auto e = resource_missing("checkout.session", id, "session");
    return {e.status, e.body(), true, {}};
  }
  auto& s = it->second;
  result r;
  expire_if_due(s, r.events);
  if (s.status != "open") {
    auto e = invalid_request(
        "Only Checkout Sessions with a status in [\"open\"] can be expired. "
        "This Checkout Session has a status of \"" +
        s.status + "\".");
    return {e.status, e.body(), true, std::move(r.events)};
  }
  s.status = "expired";
  auto object = session_json(s);
  r.body = to_stripe_json(object);
  r.events.push_back(make_event("checkout.session.expired", std::move(object), {}, &context));
  return r;
}

fake_stripe_api::result fake_stripe_api::retrieve_subscription(const std::string& id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) {
    auto e = resource_missing("subscription", id, "id");
    return {e.status, e.body(), true, {}};
  }
  return {200, to_stripe_json(subscription_json(it->second)), true, {}};
}

fake_stripe_api::result fake_stripe_api::update_subscription(const std::string& id,
                                                             const form_params& params,
                                                             const request_context& context) {
  auto parsed = parse_subscription_update(params, now());
  if (auto* e = std::get_if<stripe_error>(&parsed)) {
    return {e->status, e->body(), false, {}};
  }
  const auto& update = std::get<subscription_update>(parsed);
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) {
    auto e = resource_missing("subscription", id, "id");
    return {e.status, e.body(), true, {}};
  }
  auto& sub = it->second;
  if (sub.status == "canceled" && update.changes_billing()) {
    auto e = invalid_request(
        "A canceled subscription can only update its cancellation_details and metadata.");
    return {e.status, e.body(), true, {}};
  }
  auto before = subscription_json(sub);
  // The items first: they are what can still be refused, and a refusal changes nothing.
  if (auto e = apply_item_updates(sub, update)) {
    return {e->status, e->body(), true, {}};
  }
  if (update.cancel_at_period_end) {
    sub.cancel_at_period_end = *update.cancel_at_period_end;
    sub.cancel_at = sub.cancel_at_period_end ? std::optional(sub.current_period_end) : std::nullopt;
    sub.canceled_at = sub.cancel_at_period_end ? std::optional(now()) : std::nullopt;
    sub.cancellation_reason = sub.cancel_at_period_end
                                  ? std::optional<std::string>("cancellation_requested")
                                  : std::nullopt;
  }
  if (update.metadata_cleared) {
    sub.metadata.clear();
  }
  for (const auto& [key, value] : update.metadata) {
    if (value.empty()) {
      sub.metadata.erase(key);
    } else {
      sub.metadata[key] = value;
    }
  }
  auto unset_if_empty = [](const std::string& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  };
  if (update.cancellation_comment) {
    sub.cancellation_comment = unset_if_empty(*update.cancellation_comment);
  }
  if (update.cancellation_feedback) {
    sub.cancellation_feedback = unset_if_empty(*update.cancellation_feedback);
  }
  if (update.pause_collection) {
    sub.pause_collection = *update.pause_collection;
  }
  auto after = subscription_json(sub);
  json::object previous;
  for (const auto& m : before) {
    if (after.at(m.key()) != m.value()) {
      previous[m.key()] = m.value();
    }
  }
  result r{200, to_stripe_json(after), true, {}};
  if (!previous.empty()) {
    r.events.push_back(make_event("customer.subscription.updated", std::move(after),
                                  std::move(previous), &context));
  }
  return r;
}

std::optional<stripe_error> fake_stripe_api::apply_item_updates(subscription_record& sub,
                                                                const subscription_update& update) {
  auto items = sub.items;
  bool billed_amount_changes = false;
  for (const auto& change : update.items) {
    auto item = std::find_if(items.begin(), items.end(),
                             [&](const line_item_record& i) { return i.id == change.id; });
    if (item == items.end()) {
      return resource_missing("subscription_item", change.id, change.param + "[id]");
    }
    if (change.price) {
      const auto& spec = *change.price;
      const auto pd = change.param + "[price_data]";
      if (spec.currency != sub.currency) {
        return invalid_request("The price's currency (" + spec.currency +
                                   ") must be the subscription's currency (" + sub.currency + ").",
                               pd + "[currency]");
      }
      auto product = products_.find(*spec.product);
      if (product == products_.end()) {
        return resource_missing("product", *spec.product, pd + "[product]");
      }
      const auto& current = item->price.spec;
      if (spec.interval != current.interval || spec.interval_count != current.interval_count) {
        // At Stripe a new interval starts a new billing period at once, with an invoice.
        return invalid_request(
            "fake-stripe does not change a subscription's billing interval; the price must "
            "recur every " +
                std::to_string(current.interval_count) + " " + current.interval.value_or("") + ".",
            pd + "[recurring][interval]");
      }
      price_record price;
      price.id = random_id("price_test_");
      price.product = product->first;
      price.spec = spec;
      price.spec.product_name = product->second;
      price.created = now();
      item->price = std::move(price);
      billed_amount_changes = true;
    }
    if (change.quantity && *change.quantity != item->quantity) {
      item->quantity = *change.quantity;
      billed_amount_changes = true;
    }
  }
  if (billed_amount_changes && update.proration_behavior != "none") {
    // Stripe would credit the unused time and charge the new price for the rest of the
    // period; fake-stripe keeps invoices whole, so it asks for what supportd sends.
    return invalid_request(
        "fake-stripe makes no prorations: change an item's price or quantity with "
        "proration_behavior=none.",
        "proration_behavior");
  }
  sub.items = std::move(items);
  return std::nullopt;
}

fake_stripe_api::result fake_stripe_api::create_portal_session(const form_params& params) {
  auto parsed = parse_portal_session_request(params);
  if (auto* e = std::get_if<stripe_error>(&parsed)) {
    return {e->status, e->body(), false, {}};
  }
  auto& request = std::get<portal_session_request>(parsed);
  if (!customers_.contains(request.customer)) {
    auto e = resource_missing("customer", request.customer, "customer");
    return {e.status, e.body(), true, {}};
  }
  if (portal_configuration_.empty()) {
    portal_configuration_ = random_id("bpc_test_");
  }
  if (request.configuration && *request.configuration != portal_configuration_) {
    auto e =
        resource_missing("billing_portal.configuration", *request.configuration, "configuration");
    return {e.status, e.body(), true, {}};
  }
  portal_session_record s;
  s.id = random_id("bps_test_");
  s.configuration = portal_configuration_;
  s.customer = request.customer;
  s.request = std::move(request);
  s.created = now();
  s.url = options_.public_url + "/billing/" + s.id;
  auto body = to_stripe_json(portal_session_json(s));
  portal_sessions_.emplace(s.id, std::move(s));
  return {200, std::move(body), true, {}};
}

fake_stripe_api::result fake_stripe_api::cancel_subscription(const std::string& id,
                                                             const form_params& params,
                                                             const request_context& context) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) {
    auto e = resource_missing("subscription", id, "id");
    return {e.status, e.body(), true, {}};
  }
  auto& sub = it->second;
  result r;
  if (sub.status != "canceled") {
    const auto t = now();
    sub.status = "canceled";
    sub.canceled_at = t;
    sub.ended_at = t;
    sub.cancel_at_period_end = false;
    sub.cancel_at = std::nullopt;
    sub.cancellation_reason = "cancellation_requested";
    if (auto v = params.find("cancellation_details[comment]")) {
      sub.cancellation_comment = *v;
    }
    if (auto v = params.find("cancellation_details[feedback]")) {
      sub.cancellation_feedback = *v;
    }
    r.events.push_back(
        make_event("customer.subscription.deleted", subscription_json(sub), {}, &context));
  }
  r.body = to_stripe_json(subscription_json(sub));
  return r;
}

// --- the event log --------------------------------------------------------------------------

fake_stripe_api::result fake_stripe_api::retrieve_event(const std::string& id) {
  for (const auto& e : event_log_) {
    if (e.id == id) {
      return {200, to_stripe_json(e.object), true, {}};
    }
  }
  auto e = resource_missing("event", id, "id");
  return {e.status, e.body(), true, {}};
}

fake_stripe_api::result fake_stripe_api::list_events(const form_params& params) {
  auto refuse = [](const stripe_error& e) { return result{e.status, e.body(), false, {}}; };
  auto integer = [](const std::string& text) -> std::optional<std::int64_t> {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
      return std::nullopt;
    }
    return value;
  };

  // Stripe's parameters for this list, nothing else.
  std::vector<std::string> types;
  std::int64_t created_from = std::numeric_limits<std::int64_t>::min();
  std::int64_t created_to = std::numeric_limits<std::int64_t>::max();
  for (const auto& [key, value] : params.flat()) {
    if (key == "limit" || key == "starting_after" || key == "ending_before" || key == "type" ||
        key == "delivery_success" || key.starts_with("expand[")) {
      continue;
    }
    if (key.starts_with("types[")) {
      types.push_back(value);
      continue;
    }
    if (key == "created" || key == "created[gt]" || key == "created[gte]" || key == "created[lt]" ||
        key == "created[lte]") {
      auto t = integer(value);
      if (!t) {
        return refuse(parameter_invalid_integer(key, value));
      }
      if (key == "created") {
        created_from = created_to = *t;
      } else if (key == "created[gt]") {
        created_from = std::max(created_from, *t + 1);
      } else if (key == "created[gte]") {
        created_from = std::max(created_from, *t);
      } else if (key == "created[lt]") {
        created_to = std::min(created_to, *t - 1);
      } else {
        created_to = std::min(created_to, *t);
      }
      continue;
    }
    return refuse(parameter_unknown(key));
  }
  std::int64_t limit = 10;
  if (auto v = params.find("limit")) {
    auto n = integer(*v);
    if (!n) {
      return refuse(parameter_invalid_integer("limit", *v));
    }
    if (*n < 1 || *n > 100) {
      return refuse(invalid_request("Invalid limit: must be between 1 and 100", "limit"));
    }
    limit = *n;
  }
  const auto* after = params.find("starting_after");
  const auto* before = params.find("ending_before");
  if (after && before) {
    return refuse(invalid_request(
        "You may only specify one of these parameters: ending_before, starting_after."));
  }
  const auto* type = params.find("type");
  if (type && !types.empty()) {
    return refuse(invalid_request("You may pass either `type` or `types`, but not both."));
  }
  if (types.size() > 20) {
    return refuse(invalid_request("Invalid array: types can have at most 20 elements.", "types"));
  }
  std::optional<bool> delivered;
  if (auto v = params.find("delivery_success")) {
    if (*v != "true" && *v != "false") {
      return refuse(invalid_request("Invalid boolean: " + *v, "delivery_success"));
    }
    delivered = *v == "true";
  }

  // The whole log newest first (creation order within a second), then the cursor's place in it.
  std::vector<const logged_event*> order;
  for (auto it = event_log_.rbegin(); it != event_log_.rend(); ++it) {
    order.push_back(&*it);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->created > b->created; });
  std::size_t from = 0;
  std::size_t to = order.size();
  if (after || before) {
    const auto& cursor = after ? *after : *before;
    auto at =
        std::find_if(order.begin(), order.end(), [&](const auto* e) { return e->id == cursor; });
    if (at == order.end()) {
      return refuse(resource_missing("event", cursor, after ? "starting_after" : "ending_before"));
    }
    if (after) {
      from = static_cast<std::size_t>(at - order.begin()) + 1;
    } else {
      to = static_cast<std::size_t>(at - order.begin());
    }
  }
  auto matches = [&](const logged_event& e) {
    if (e.created < created_from || e.created > created_to) {
      return false;
    }
    if (type && !(type->ends_with("*") ? e.type.starts_with(type->substr(0, type->size() - 1))
                                       : e.type == *type)) {
      return false;
    }
    if (!types.empty() && std::find(types.begin(), types.end(), e.type) == types.end()) {
      return false;
    }
    return !delivered || delivered_.contains(e.id) == *delivered;
  };
  std::vector<const logged_event*> found;
  for (auto i = from; i < to; ++i) {
    if (matches(*order[i])) {
      found.push_back(order[i]);
    }
  }
  // A page is the `limit` events next to the cursor: the first ones after starting_after (or
  // from the newest), the last ones before ending_before.
  const auto n = std::min(found.size(), static_cast<std::size_t>(limit));
  const auto first = before ? found.size() - n : 0;
  json::array data;
  for (auto i = first; i < first + n; ++i) {
    data.push_back(found[i]->object);
  }
  return {200,
          to_stripe_json(json::object{{"object", "list"},
                                      {"data", std::move(data)},
                                      {"has_more", found.size() > n},
                                      {"url", "/v1/events"}}),
          true,
          {}};
}

// --- objects made by payments ---------------------------------------------------------------

void fake_stripe_api::expire_if_due(session_record& s, std::vector<outgoing_event>& events) {
  if (s.status == "open" && now() >= s.expires_at) {
    s.status = "expired";
    events.push_back(make_event("checkout.session.expired", session_json(s)));
  }
}

charge_record& fake_stripe_api::make_charge(const std::string& customer,
                                            std::optional<std::string> email, std::int64_t amount,
                                            const std::string& currency,
                                            std::optional<std::string> invoice,
                                            metadata_map metadata,
                                            std::optional<std::string> description, bool paid) {
  charge_record c;
  c.id = random_id("ch_test_");
  c.customer = customer;
  c.email = std::move(email);
  c.payment_intent = random_id("pi_test_");
  c.payment_method = random_id("pm_test_");
  c.invoice = std::move(invoice);
  c.description = std::move(description);
  c.currency = currency;
  c.amount = amount;
  c.created = now();
  c.paid = paid;
  c.metadata = std::move(metadata);
  auto id = c.id;
  return charges_.emplace(id, std::move(c)).first->second;
}

invoice_record fake_stripe_api::new_invoice(const subscription_record& sub,
                                            std::string billing_reason) {
  invoice_record inv;
  inv.id = random_id("in_test_");
  inv.subscription = sub.id;
  inv.customer = sub.customer;
  if (auto s = sessions_.find(sub.session); s != sessions_.end()) {
    inv.customer_email = s->second.customer_email;
  }
  inv.currency = sub.currency;
  inv.billing_reason = std::move(billing_reason);
  inv.created = now();
  inv.line_period_start = sub.current_period_start;
  inv.line_period_end = sub.current_period_end;
  inv.subscription_metadata = sub.metadata;
  // The items as they are now: a price changed since the last invoice bills from this one on.
  for (const auto& item : sub.items) {
    inv.amount += item.amount();
    auto line = item;
    line.id = random_id("il_test_");
    inv.lines.push_back(std::move(line));
    inv.subscription_item_ids.push_back(item.id);
  }
  return inv;
}

invoice_record& fake_stripe_api::make_invoice(subscription_record& sub, std::string billing_reason,
                                              bool paid) {
  auto inv = new_invoice(sub, std::move(billing_reason));
  inv.status = paid ? "paid" : "open";
  if (!paid) {
    inv.next_payment_attempt = inv.created + 259'200;
  }
  auto& charge = make_charge(
      sub.customer, inv.customer_email, inv.amount, inv.currency, inv.id, {},
      "Subscription " +
          std::string(inv.billing_reason == "subscription_create" ? "creation" : "update"),
      paid);
  inv.charge = charge.id;
  inv.payment_intent = charge.payment_intent;
  sub.latest_invoice = inv.id;
  auto id = inv.id;
  return invoices_.emplace(id, std::move(inv)).first->second;
}

invoice_record& fake_stripe_api::make_uncollected_invoice(subscription_record& sub) {
  auto inv = new_invoice(sub, "subscription_cycle");
  const auto& behavior = sub.pause_collection->behavior;
  inv.status = behavior == "void"            ? "void"
               : behavior == "keep_as_draft" ? "draft"
                                             : "uncollectible";
  sub.latest_invoice = inv.id;
  auto id = inv.id;
  return invoices_.emplace(id, std::move(inv)).first->second;
}

std::vector<outgoing_event> fake_stripe_api::complete_session(session_record& s,
                                                              const std::string& email,
                                                              bool delayed_payment) {
  const auto t = now();
  const auto& r = s.request;
  s.status = "complete";
  s.customer = r.customer.value_or(random_id("cus_test_", 14));
  s.customer_email = r.customer_email ? *r.customer_email : email;
  auto& customer = customers_[*s.customer];
  if (customer.id.empty()) {
    customer = customer_record{*s.customer, s.customer_email, random_id("pm_test_"), t};
  }
  std::vector<outgoing_event> events;
  if (r.mode == "payment") {
    auto& charge =
        make_charge(*s.customer, s.customer_email, r.amount_total, *r.currency, std::nullopt,
                    r.payment_intent_metadata, r.payment_intent_description, !delayed_payment);
    s.payment_intent = charge.payment_intent;
    session_charges_[s.id] = charge.id;
    s.payment_status = delayed_payment ? "unpaid" : "paid";
    events.push_back(make_event("checkout.session.completed", session_json(s)));
  } else if (r.mode == "subscription") {
    subscription_record sub;
    sub.id = random_id("sub_test_");
    sub.customer = *s.customer;
    sub.session = s.id;
    sub.metadata = r.subscription_metadata;
    sub.description = r.subscription_description;
    sub.currency = *r.currency;
    sub.default_payment_method = customer.default_payment_method;
    sub.created = t;
    for (const auto& item : s.line_items) {
      auto si = item;
      si.id = random_id("si_test_", 14);
      sub.items.push_back(std::move(si));
    }
    const auto& price = sub.items.front().price.spec;
    sub.current_period_start = t;
    sub.current_period_end = add_interval(t, *price.interval, price.interval_count);
    auto& inv = make_invoice(sub, "subscription_create", true);
    inv.period_start = t;
    inv.period_end = t;
    s.subscription = sub.id;
    s.invoice = inv.id;
    s.payment_status = "paid";
    events.push_back(make_event("checkout.session.completed", session_json(s)));
    events.push_back(make_event("invoice.paid", invoice_json(inv)));
    auto id = sub.id;
    subscriptions_.emplace(id, std::move(sub));
  } else {
    s.setup_intent = random_id("seti_test_");
    events.push_back(make_event("checkout.session.completed", session_json(s)));
  }
  return events;
}

outgoing_event fake_stripe_api::make_event(std::string_view type, json::object object,
                                           std::optional<json::object> previous,
                                           const request_context* context) {
  outgoing_event e;
  e.id = random_id("evt_test_");
  e.type = std::string(type);
  std::optional<std::string> request_id;
  std::optional<std::string> key;
  if (context) {
    request_id = context->request_id;
    key = context->idempotency_key;
  }
  const auto created = now();
  auto event =
      event_json(e.id, type, created, std::move(object), std::move(previous), request_id, key);
  e.body = to_stripe_json(event);
  sent_events_[e.id] = e;
  event_log_.push_back({created, e.id, e.type, std::move(event)});
  return e;
}

// --- the hosted checkout page ---------------------------------------------------------------

api_outcome fake_stripe_api::handle_hosted(const api_request& request, std::string_view path) {
  auto id = tail_of(path, "/pay/");
  auto it = id ? sessions_.find(*id) : sessions_.end();
  if (it == sessions_.end()) {
    return html_page(404, "Not found",
                     "<h1>Something went wrong</h1><p>The page you were looking "
                     "for could not be found.</p>");
  }
  auto& s = it->second;
  const auto& r = s.request;
  api_outcome out;
  expire_if_due(s, out.events);

  if (request.method == "POST") {
    if (s.status == "expired") {
      auto page = html_page(410, "Expired", "<h1>This Checkout Session has expired</h1>");
      page.events = std::move(out.events);
      return page;
    }
    auto success = replace_all(*r.success_url, "{CHECKOUT_SESSION_ID}", s.id);
    if (s.status == "open") {
      auto form = form_params::parse(request.body);
      std::string email;
      bool delayed = false;
      if (form) {
        if (auto v = form->find("email")) {
          email = *v;
        }
        delayed = form->contains("payment") && *form->find("payment") == "delayed";
      }
      if (email.empty() && !r.customer_email) {
        email = "jenny.rosen@example.com";
      }
      out.events = complete_session(s, email, delayed && r.mode == "payment");
      out.mode = api_outcome::delivery::before_answer;
    }
    out.response.status = 303;
    out.response.content_type = "text/plain; charset=utf-8";
    out.response.headers.push_back({"Location", success});
    out.response.body = "See Other: " + success + "\n";
    return out;
  }
  if (request.method != "GET") {
    return html_page(405, "Method Not Allowed", "<h1>Method Not Allowed</h1>");
  }

  if (s.status != "open") {
    auto page =
        html_page(200, "Checkout",
                  s.status == "complete"
                      ? "<h1 data-testid=\"status\">Your payment is complete</h1>"
                      : "<h1 data-testid=\"status\">This Checkout Session has expired</h1>");
    page.events = std::move(out.events);
    return page;
  }

  std::string body = "<h1>fake-stripe Checkout</h1>\n<p>Test mode: no card is charged.</p>\n";
  std::string interval;
  for (const auto& item : s.line_items) {
    body += "<p class=\"item\" data-testid=\"line-item\">" +
            supportd::http::html_escaped(item.description()) + "</p>\n";
    if (item.price.spec.interval) {
      interval = interval_text(item.price.spec);
    }
  }
  if (r.mode != "setup") {
    auto amount = format_amount(r.amount_total, *r.currency);
    auto space = amount.find(' ');
    body += "<p class=\"amount\"><span data-testid=\"amount\">" + amount.substr(0, space) +
            "</span> <span data-testid=\"currency\">" + amount.substr(space + 1) + "</span>";
    if (!interval.empty()) {
      body +=
          " <span data-testid=\"interval\">" + supportd::http::html_escaped(interval) + "</span>";
    }
    body += "</p>\n";
  }
  body += "<form method=\"post\" action=\"/pay/" + supportd::http::html_escaped(s.id) + "\">\n";
  if (r.customer_email) {
    body += "<p>Email: <span data-testid=\"email\">" +
            supportd::http::html_escaped(*r.customer_email) + "</span></p>\n";
  } else {
    body +=
        "<p><label>Email <input type=\"email\" name=\"email\" "
        "value=\"jenny.rosen@example.com\"></label></p>\n";
  }
  if (r.mode == "payment") {
    body +=
        "<p><label><input type=\"checkbox\" name=\"payment\" value=\"delayed\"> Pay by "
        "bank debit (the payment settles later)</label></p>\n";
  }
  body +=
      "<button type=\"submit\" data-testid=\"hosted-payment-submit-button\">Pay</button>\n"
      "</form>\n";
  if (r.cancel_url) {
    body += "<p><a href=\"" + supportd::http::html_escaped(*r.cancel_url) +
            "\" data-testid=\"cancel\">Cancel</a></p>\n";
  }
  auto page = html_page(200, "Checkout", body);
  page.events = std::move(out.events);
  return page;
}

// --- the Billing Portal's page --------------------------------------------------------------

api_outcome fake_stripe_api::handle_portal(const api_request& request, std::string_view path) {
  auto id = tail_of(path, "/billing/");
  auto it = id ? portal_sessions_.find(*id) : portal_sessions_.end();
  if (it == portal_sessions_.end()) {
    return html_page(404, "Not found",
                     "<h1>Something went wrong</h1><p>This portal session could not be "
                     "found.</p>");
  }
  auto& s = it->second;
  auto& customer = customers_.at(s.customer);
  const auto& flow = s.request.flow;

  if (request.method == "POST") {
    // "Update card": the card the reader typed becomes the customer's default. Then, as in
    // Stripe's portal, a flow that redirects after completion leads there; otherwise the portal
    // shows the change, with its link back to return_url.
    s.card_updated_at = now();
    customer.default_payment_method = random_id("pm_test_");
    const auto next = flow && flow->redirect_url ? *flow->redirect_url : s.url;
    api_outcome out;
    out.response.status = 303;
    out.response.content_type = "text/plain; charset=utf-8";
    out.response.headers.push_back({"Location", next});
    out.response.body = "See Other: " + next + "\n";
    return out;
  }
  if (request.method != "GET") {
    return html_page(405, "Method Not Allowed", "<h1>Method Not Allowed</h1>");
  }

  std::string body =
      "<h1>fake-stripe customer portal</h1>\n<p>Test mode: no card is charged.</p>\n"
      "<p>Customer: <span data-testid=\"customer\">" +
      supportd::http::html_escaped(customer.id) + "</span></p>\n";
  if (customer.email) {
    body += "<p>Email: <span data-testid=\"email\">" +
            supportd::http::html_escaped(*customer.email) + "</span></p>\n";
  }
  for (const auto& [sub_id, sub] : subscriptions_) {
    if (sub.customer != customer.id || sub.items.empty()) {
      continue;
    }
    const auto& item = sub.items.front();
    std::string line = format_amount(item.amount(), sub.currency) + " " +
                       interval_text(item.price.spec) + " · " + sub.status;
    if (sub.pause_collection) {
      line += " · payment collection paused";
      if (sub.pause_collection->resumes_at) {
        using namespace std::chrono;
        year_month_day day{floor<days>(sys_seconds{seconds{*sub.pause_collection->resumes_at}})};
        char date[16];
        std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(day.year()),
                      static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
        line += std::string(" until ") + date;
      }
    }
    body += "<p data-testid=\"subscription\">" + supportd::http::html_escaped(line) + "</p>\n";
  }
  body += "<p>Card: <span data-testid=\"card\">Visa ending in 4242</span></p>\n";
  if (s.card_updated_at) {
    body += "<p data-testid=\"card-updated\">Your card was updated.";
    if (flow && flow->custom_message) {
      body += " " + supportd::http::html_escaped(*flow->custom_message);
    }
    body += "</p>\n";
  }
  body += "<form method=\"post\" action=\"/billing/" + supportd::http::html_escaped(s.id) +
          "\">\n<button type=\"submit\" data-testid=\"update-card\">Update card</button>\n"
          "</form>\n";
  if (s.request.return_url) {
    body += "<p><a href=\"" + supportd::http::html_escaped(*s.request.return_url) +
            "\" data-testid=\"return\">Return</a></p>\n";
  }
  return html_page(200, "Billing", body);
}

// --- the controls ---------------------------------------------------------------------------

api_outcome fake_stripe_api::handle_control(const api_request& request, std::string_view path) {
  const auto& method = request.method;
  if (path == "/__control/requests" && method == "GET") {
    return control_answer(200, request_log_);
  }
  if (path == "/__control/deliveries" && method == "GET") {
    return control_answer(200, delivery_log_);
  }
  if (path == "/__control/portal_sessions" && method == "GET") {
    json::array sessions;
    for (const auto& [id, s] : portal_sessions_) {
      sessions.push_back(json::object{
          {"id", id},
          {"customer", s.customer},
          {"return_url", s.request.return_url ? json::value(*s.request.return_url) : nullptr},
          {"url", s.url},
          {"created", s.created},
          {"card_updated_at", s.card_updated_at ? json::value(*s.card_updated_at) : nullptr}});
    }
    return control_answer(200, sessions);
  }
  if (path == "/__control/reset" && method == "POST") {
    failures_.clear();
    sessions_.clear();
    subscriptions_.clear();
    invoices_.clear();
    charges_.clear();
    session_charges_.clear();
    customers_.clear();
    products_.clear();
    portal_sessions_.clear();
    sent_events_.clear();
    event_log_.clear();
    delivered_.clear();
    idempotency_.clear();
    request_log_.clear();
    delivery_log_.clear();
    return control_answer(200, json::object{{"reset", true}});
  }
  if (method != "POST" || (path != "/__control/fail" && path != "/__control/events" &&
                           path != "/__control/redeliver")) {
    return control_error(404, "no such control: " + method + " " + std::string(path));
  }

  boost::system::error_code ec;
  auto parsed = json::parse(request.body, ec);
  if (ec || !parsed.is_object()) {
    return control_error(400, "the body must be a JSON object");
  }
  const auto& spec = parsed.get_object();

  if (path == "/__control/fail") {
    failure f;
    f.mode = string_member(spec, "mode").value_or("status");
    if (f.mode != "status" && f.mode != "drop" && f.mode != "slow") {
      return control_error(400, "mode must be status, drop or slow");
    }
    std::int64_t count = 1;
    if (auto v = member(spec, "count"); v && v->is_int64()) {
      count = v->get_int64();
    }
    if (auto v = member(spec, "status"); v && v->is_int64()) {
      f.status = static_cast<int>(v->get_int64());
    }
    if (f.status < 400 || f.status > 599) {
      return control_error(400, "status must be 400..599");
    }
    if (auto v = member(spec, "delay_ms"); v && v->is_int64()) {
      f.delay_ms = v->get_int64();
    }
    if (auto v = member(spec, "should_retry"); v && v->is_bool()) {
      f.should_retry = v->get_bool();
    }
    f.type = string_member(spec, "type");
    f.code = string_member(spec, "code");
    f.message = string_member(spec, "message");
    if (count < 1 || count > 10'000) {
      return control_error(400, "count must be 1..10000");
    }
    for (std::int64_t i = 0; i < count; ++i) {
      failures_.push_back(f);
    }
    return control_answer(200, json::object{{"pending_failures", failures_.size()}});
  }
  if (path == "/__control/redeliver") {
    auto id = string_member(spec, "id");
    auto it = id ? sent_events_.find(*id) : sent_events_.end();
    if (it == sent_events_.end()) {
      return control_error(404, "no such event");
    }
    api_outcome out;
    out.events.push_back(it->second);
    out.mode = api_outcome::delivery::report;
    return out;
  }
  return control_event(spec);
}

api_outcome fake_stripe_api::control_event(const json::object& spec) {
  auto type = string_member(spec, "type").value_or("");
  auto session_id = string_member(spec, "session");
  auto subscription_id = string_member(spec, "subscription");
  const auto t = now();

  session_record* session = nullptr;
  subscription_record* sub = nullptr;
  if (session_id) {
    auto it = sessions_.find(*session_id);
    if (it == sessions_.end()) {
      return control_error(404, "no such session: " + *session_id);
    }
    session = &it->second;
    if (session->subscription) {
      sub = &subscriptions_.at(*session->subscription);
    }
  }
  if (subscription_id) {
    auto it = subscriptions_.find(*subscription_id);
    if (it == subscriptions_.end()) {
      return control_error(404, "no such subscription: " + *subscription_id);
    }
    sub = &it->second;
    session = &sessions_.at(sub->session);
  }
  if (!session) {
    return control_error(400, "name a \"session\" or a \"subscription\"");
  }

  api_outcome out;
  out.mode = api_outcome::delivery::report;
  auto need_subscription = [&]() -> std::optional<api_outcome> {
    if (!sub) {
      return control_error(409,
                           type + " needs a subscription (a completed subscription-mode session)");
    }
    return std::nullopt;
  };

  if (type == "invoice.paid" || type == "invoice.payment_failed") {
    if (auto e = need_subscription()) {
      return *e;
    }
    if (sub->status == "canceled") {
      return control_error(409, "the subscription is canceled");
    }
    const bool paid = type == "invoice.paid";
    auto latest = invoices_.find(sub->latest_invoice);
    invoice_record* inv = nullptr;
    if (latest != invoices_.end() && latest->second.status == "open") {
      // A retry of the invoice that failed: the same invoice, one more attempt.
      inv = &latest->second;
      inv->attempt_count += 1;
      auto& charge = make_charge(sub->customer, inv->customer_email, inv->amount, inv->currency,
                                 inv->id, {}, "Subscription update", paid);
      inv->charge = charge.id;
      inv->payment_intent = charge.payment_intent;
      if (paid) {
        inv->status = "paid";
        inv->next_payment_attempt = std::nullopt;
      } else {
        inv->next_payment_attempt = t + 259'200;
      }
    } else {
      // The next period begins: its invoice bills for it, at the items' current prices.
      const auto& price = sub->items.front().price.spec;
      auto previous_start = sub->current_period_start;
      sub->period_index += 1;
      sub->current_period_start =
          add_interval(sub->created, *price.interval, price.interval_count * sub->period_index);
      sub->current_period_end = add_interval(sub->created, *price.interval,
                                             price.interval_count * (sub->period_index + 1));
      const auto& pause = sub->pause_collection;
      if (pause && (!pause->resumes_at || sub->current_period_start < *pause->resumes_at)) {
        // Collection is paused for this period: Stripe makes the invoice and at once voids it
        // (or keeps it as a draft, or marks it uncollectible), charges nothing and sends no
        // webhook about it. The answer says so instead of reporting a delivery.
        inv = &make_uncollected_invoice(*sub);
        inv->period_start = previous_start;
        inv->period_end = sub->current_period_start;
        out.response = json_response(
            200, json::serialize(json::object{{"id", nullptr},
                                              {"type", type},
                                              {"delivered_status", nullptr},
                                              {"collection_paused", true},
                                              {"invoice", inv->id},
                                              {"invoice_status", inv->status},
                                              {"amount_due", inv->amount},
                                              {"amount_paid", 0},
                                              {"period_start", sub->current_period_start},
                                              {"period_end", sub->current_period_end}}));
        return out;
      }
      inv = &make_invoice(*sub, "subscription_cycle", paid);
      inv->period_start = previous_start;
      inv->period_end = sub->current_period_start;
    }
    sub->status = paid ? "active" : "past_due";
    out.events.push_back(make_event(type, invoice_json(*inv)));
    out.report = {{"collection_paused", false},
                  {"invoice", inv->id},
                  {"invoice_status", inv->status},
                  {"amount_due", inv->amount},
                  {"amount_paid", paid ? inv->amount : 0},
                  {"period_start", sub->current_period_start},
                  {"period_end", sub->current_period_end}};
    return out;
  }
  if (type == "customer.subscription.deleted") {
    if (auto e = need_subscription()) {
      return *e;
    }
    sub->status = "canceled";
    sub->canceled_at = t;
    sub->ended_at = t;
    sub->cancel_at_period_end = false;
    sub->cancel_at = std::nullopt;
    sub->cancellation_reason = string_member(spec, "reason").value_or("cancellation_requested");
    out.events.push_back(make_event(type, subscription_json(*sub)));
    return out;
  }
  if (type == "customer.subscription.updated") {
    if (auto e = need_subscription()) {
      return *e;
    }
    auto before = subscription_json(*sub);
    auto status = string_member(spec, "status");
    auto flag = member(spec, "cancel_at_period_end");
    if (status) {
      sub->status = *status;
    }
    if ((flag && flag->is_bool()) || !status) {
      bool cancel = flag && flag->is_bool() ? flag->get_bool() : true;
      sub->cancel_at_period_end = cancel;
      sub->cancel_at = cancel ? std::optional(sub->current_period_end) : std::nullopt;
      sub->canceled_at = cancel ? std::optional(t) : std::nullopt;
      sub->cancellation_reason =
          cancel ? std::optional<std::string>("cancellation_requested") : std::nullopt;
    }
    auto after = subscription_json(*sub);
    json::object previous;
    for (const auto& m : before) {
      if (after.at(m.key()) != m.value()) {
        previous[m.key()] = m.value();
      }
    }
    out.events.push_back(make_event(type, std::move(after), std::move(previous)));
    return out;
  }
  if (type == "charge.refunded" || type == "charge.dispute.created") {
    charge_record* charge = nullptr;
    if (subscription_id || (sub && !session_charges_.contains(session->id))) {
      auto inv = invoices_.find(sub->latest_invoice);
      if (inv != invoices_.end() && inv->second.status == "paid") {
        charge = &charges_.at(inv->second.charge);
      }
    } else if (auto c = session_charges_.find(session->id); c != session_charges_.end()) {
      charge = &charges_.at(c->second);
    }
    if (!charge || !charge->paid) {
      return control_error(409, type + " needs a paid charge: complete the session first");
    }
    if (type == "charge.refunded") {
      std::int64_t amount = charge->amount - charge->amount_refunded;
      if (auto v = member(spec, "amount"); v && v->is_int64()) {
        amount = v->get_int64();
      }
      if (amount <= 0 || amount > charge->amount - charge->amount_refunded) {
        return control_error(409, "nothing (or not that much) left to refund");
      }
      auto before = charge_json(*charge);
      charge->amount_refunded += amount;
      auto after = charge_json(*charge);
      json::object previous;
      for (const auto& m : before) {
        if (after.at(m.key()) != m.value()) {
          previous[m.key()] = m.value();
        }
      }
      out.events.push_back(make_event(type, std::move(after), std::move(previous)));
    } else {
      charge->disputed = true;
      out.events.push_back(
          make_event(type, dispute_json(random_id("dp_test_"), *charge,
                                        string_member(spec, "reason").value_or("fraudulent"), t)));
    }
    return out;
  }
  if (type == "checkout.session.expired") {
    if (session->status != "open") {
      return control_error(409, "only an open session expires; this one is " + session->status);
    }
    session->status = "expired";
    out.events.push_back(make_event(type, session_json(*session)));
    return out;
  }
  if (type == "checkout.session.async_payment_succeeded" ||
      type == "checkout.session.async_payment_failed") {
    if (session->status != "complete" || session->payment_status != "unpaid" ||
        session->request.mode != "payment") {
      return control_error(409, type +
                                    " needs a payment-mode session completed with a delayed "
                                    "payment (POST /pay/{id} with payment=delayed)");
    }
    auto& charge = charges_.at(session_charges_.at(session->id));
    if (type == "checkout.session.async_payment_succeeded") {
      charge.paid = true;
      session->payment_status = "paid";
    }
    out.events.push_back(make_event(type, session_json(*session)));
    return out;
  }
  return control_error(400, "unsupported event type: " + type);
}

void fake_stripe_api::record_delivery(const outgoing_event& event, int attempt,
                                      std::optional<int> status, const std::string& error) {
  json::object entry{{"event_id", event.id},
                     {"type", event.type},
                     {"attempt", attempt},
                     {"status", status ? json::value(*status) : json::value(nullptr)},
                     {"at", now()}};
  if (!error.empty()) {
    entry["error"] = error;
  }
  delivery_log_.push_back(std::move(entry));
  if (status && *status >= 200 && *status < 300) {
    delivered_.insert(event.id);
  }
}

std::string fake_stripe_api::delivery_report(const outgoing_event& event, std::optional<int> status,
                                             const json::object& report) {
  json::object answer{{"id", event.id},
                      {"type", event.type},
                      {"delivered_status", status ? json::value(*status) : json::value(nullptr)}};
  for (const auto& m : report) {
    answer[m.key()] = m.value();
  }
  return json::serialize(answer);
}

}  // namespace fake_stripe

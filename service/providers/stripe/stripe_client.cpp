#include "providers/stripe/stripe_client.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <optional>

#include "common/parsed_json.hpp"
#include "core/jitter.hpp"
#include "core/pause.hpp"
#include "log/logger.hpp"
#include "providers/stripe/billing_portal_params.hpp"
#include "providers/stripe/checkout_params.hpp"
#include "providers/stripe/event_list.hpp"
#include "providers/stripe/subscription_params.hpp"

namespace supportd::providers::stripe {
namespace {

using providers::provider_error;

// Stripe's error type and code, never its message (which may repeat what was sent).
std::string describe_error(const http::outbound_response& r) {
  boost::system::error_code ec;
  auto json = boost::json::parse(r.body, ec);
  std::string out = "HTTP " + std::to_string(r.status);
  if (!ec && json.is_object()) {
    if (auto* error = json.as_object().if_contains("error"); error && error->is_object()) {
      for (auto key : {"type", "code", "param"}) {
        if (auto* v = error->as_object().if_contains(key); v && v->is_string()) {
          out += std::string(" ") + key + "=" + std::string(v->as_string());
        }
      }
    }
  }
  return out;
}

// Passes the caller's trace on (W3C Trace Context); Stripe ignores the header, a proxy or an
// egress gateway in between may not.
void add_traceparent(http::outbound_request& request, const std::string& traceparent) {
  if (!traceparent.empty()) {
    request.headers.emplace_back("traceparent", traceparent);
  }
}

// The id and url of the Checkout Session Stripe answered, or nothing.
std::optional<providers::checkout_session> checkout_session_of(std::string_view body) {
  const common::parsed_json json(body);
  const auto* session = json.object();
  const auto* id = session ? session->if_contains("id") : nullptr;
  const auto* url = session ? session->if_contains("url") : nullptr;
  if (!id || !id->is_string() || !url || !url->is_string()) {
    return std::nullopt;
  }
  return providers::checkout_session{std::string(id->as_string()), std::string(url->as_string())};
}

}  // namespace

stripe_client::stripe_client(net::io_context& io, const client_settings& settings,
                             std::shared_ptr<net::ssl::context> tls, circuit_breaker& breaker,
                             provider_metrics& metrics)
    : io_(io),
      settings_(settings),
      http_(io, settings.api, std::move(tls), settings.timeout, settings.idle_connections),
      breaker_(breaker),
      metrics_(metrics) {}

awaitable<providers::provider_result<http::outbound_response>> stripe_client::call(
    std::string_view operation, http::outbound_request request) {
  auto& calls = metrics_.calls;
  auto& open_gauge = metrics_.breaker_open.with({"stripe"});
  if (!breaker_.allow()) {
    calls.with({"stripe", operation, "circuit_open"}).inc();
    open_gauge.set(1);
    co_return provider_error{provider_error::kind::unavailable, "Stripe circuit open"};
  }
  request.headers.emplace_back("Authorization", "Bearer " + settings_.secret_key);
  request.headers.emplace_back("Stripe-Version", "2024-06-20");

  const auto started = std::chrono::steady_clock::now();
  boost::system::result<http::outbound_response> last = error_code(net::error::not_connected);
  for (int attempt = 1; attempt <= settings_.retry.max_attempts; ++attempt) {
    if (attempt > 1) {
      metrics_.retries.with({"stripe", operation}).inc();
      const auto wait = settings_.retry.delay_before(attempt, core::random_unit());
      co_await pause(wait);
    }
    last = co_await http_.send(request);
    const int status = last ? last->status : 0;
    if (status >= 200 && status < 300) {
      break;
    }
    if (!retry_policy::retryable(status, last ? last->header("Stripe-Should-Retry") : "")) {
      break;
    }
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  metrics_.latency.with({"stripe", operation}).observe(elapsed.count());

  if (last && last->status >= 200 && last->status < 300) {
    breaker_.record_success();
    open_gauge.set(0);
    calls.with({"stripe", operation, "ok"}).inc();
    co_return std::move(*last);
  }
  if (last && last->status >= 400 && last->status < 500 && last->status != 409 &&
      last->status != 429) {
    // Stripe answered and refused: it is alive, and our request is what needs fixing.
    breaker_.record_success();
    open_gauge.set(0);
    calls.with({"stripe", operation, "rejected"}).inc();
    auto what = describe_error(*last);
    log::warn("stripe refused a request", {{"operation", operation}, {"error", what}});
    co_return provider_error{provider_error::kind::rejected, what};
  }
  breaker_.record_failure();
  open_gauge.set(breaker_.current() == circuit_breaker::state::closed ? 0 : 1);
  calls.with({"stripe", operation, "unavailable"}).inc();
  auto what = last ? describe_error(*last) : last.error().message();
  log::warn("stripe unavailable", {{"operation", operation}, {"error", what}});
  co_return provider_error{provider_error::kind::unavailable, what};
}

awaitable<providers::provider_result<providers::checkout_session>> stripe_client::create_checkout(
    const providers::checkout_request& r) {
  http::outbound_request request{"POST", "/v1/checkout/sessions", {}, {}};
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Idempotency-Key", checkout_idempotency_key(r.pledge_id));
  request.body = encode(checkout_session_params(r, settings_.checkout));
  add_traceparent(request, r.traceparent);
  auto response = co_await call("create_checkout_session", std::move(request));
  if (!response) {
    co_return response.error();
  }
  auto session = checkout_session_of(response->body);
  if (!session) {
    co_return provider_error{provider_error::kind::unavailable,
                             "Stripe answered a Checkout Session without id and url"};
  }
  co_return std::move(*session);
}

awaitable<providers::provider_result<void>> stripe_client::cancel_subscription(
    std::string subscription_id, std::string traceparent) {
  http::outbound_request request{"DELETE", "/v1/subscriptions/" + subscription_id, {}, {}};
  add_traceparent(request, traceparent);
  auto response = co_await call("cancel_subscription", std::move(request));
  if (!response && response.error().what == provider_error::kind::rejected &&
      response.error().message.starts_with("HTTP 404") &&
      response.error().message.find("code=resource_missing") != std::string::npos) {
    co_return providers::provider_result<void>{};  // already gone
  }
  if (!response) {
    co_return response.error();
  }
  co_return providers::provider_result<void>{};
}

awaitable<providers::provider_result<std::string>> stripe_client::abandon_checkout(
    std::string session_id, std::string traceparent) {
  http::outbound_request expire{"POST", "/v1/checkout/sessions/" + session_id + "/expire", {}, {}};
  add_traceparent(expire, traceparent);
  auto expired = co_await call("expire_checkout_session", std::move(expire));
  if (expired) {
    co_return std::string{};
  }
  if (expired.error().what != provider_error::kind::rejected) {
    co_return expired.error();
  }
  // Only open sessions expire: this one was completed meanwhile. End what it started.
  http::outbound_request retrieve{"GET", "/v1/checkout/sessions/" + session_id, {}, {}};
  add_traceparent(retrieve, traceparent);
  auto session = co_await call("retrieve_checkout_session", std::move(retrieve));
  if (!session) {
    co_return session.error();
  }
  boost::system::error_code ec;
  auto json = boost::json::parse(session->body, ec);
  const auto* subscription =
      !ec && json.is_object() ? json.as_object().if_contains("subscription") : nullptr;
  if (subscription == nullptr || !subscription->is_string()) {
    co_return std::string{};  // a one-time payment: nothing goes on
  }
  std::string id(subscription->as_string());
  auto ended = co_await cancel_subscription(id, traceparent);
  if (!ended) {
    co_return ended.error();
  }
  co_return id;
}

awaitable<providers::provider_result<std::string>> stripe_client::open_payment_method_page(
    std::string customer_id, std::string return_url, std::string traceparent) {
  if (!is_object_id(customer_id)) {
    co_return provider_error{provider_error::kind::rejected, "not a Stripe customer id"};
  }
  // A new session each time the reader asks: they are short-lived and single-use at Stripe, so
  // a second one from a retried request costs nothing.
  http::outbound_request request{"POST", "/v1/billing_portal/sessions", {}, {}};
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = encode(billing_portal_session_params(customer_id, return_url));
  add_traceparent(request, traceparent);
  auto response = co_await call("create_billing_portal_session", std::move(request));
  if (!response) {
    co_return response.error();
  }
  auto url = parse_billing_portal_url(response->body);
  if (!url) {
    co_return provider_error{provider_error::kind::unavailable,
                             "Stripe answered a Billing Portal session without a url"};
  }
  co_return std::move(*url);
}

awaitable<providers::provider_result<void>> stripe_client::change_amount(
    const providers::amount_change& c) {
  if (!is_object_id(c.subscription_id)) {
    co_return provider_error{provider_error::kind::rejected, "not a Stripe subscription id"};
  }
  // The item to change and what it charges now: its id, product, currency and interval go
  // into the new price, and a change already made (a retry after a lost answer) ends here.
  http::outbound_request retrieve{"GET", subscription_path(c.subscription_id), {}, {}};
  add_traceparent(retrieve, c.traceparent);
  auto current = co_await call("retrieve_subscription", std::move(retrieve));
  if (!current) {
    co_return current.error();
  }
  auto item = parse_subscription_item(current->body);
  if (!item) {
    co_return provider_error{provider_error::kind::rejected,
                             "the subscription has not exactly one recurring item"};
  }
  if (auto mismatch = amount_change_mismatch(*item, c); !mismatch.empty()) {
    co_return provider_error{provider_error::kind::rejected, mismatch};
  }
  if (item->unit_amount == c.amount_minor) {
    co_return providers::provider_result<void>{};
  }
  http::outbound_request update{"POST", subscription_path(c.subscription_id), {}, {}};
  update.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  if (!c.idempotency_key.empty()) {
    update.headers.emplace_back("Idempotency-Key", c.idempotency_key);
  }
  update.body = encode(amount_change_params(*item, c.amount_minor));
  add_traceparent(update, c.traceparent);
  auto updated = co_await call("update_subscription_amount", std::move(update));
  if (!updated) {
    co_return updated.error();
  }
  co_return providers::provider_result<void>{};
}

awaitable<providers::provider_result<void>> stripe_client::pause_collection(
    std::string subscription_id, std::int64_t resumes_at_unix, std::string traceparent) {
  if (!is_object_id(subscription_id) || resumes_at_unix < 0) {
    co_return provider_error{provider_error::kind::rejected,
                             "not a Stripe subscription id or a pause's end"};
  }
  // Setting the same pause (or none) again changes nothing at Stripe: retries are safe
  // without an idempotency key.
  http::outbound_request request{"POST", subscription_path(subscription_id), {}, {}};
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.body = encode(pause_collection_params(resumes_at_unix));
  add_traceparent(request, traceparent);
  const std::string_view operation =
      resumes_at_unix == 0 ? "resume_subscription_collection" : "pause_subscription_collection";
  auto response = co_await call(operation, std::move(request));
  if (!response) {
    co_return response.error();
  }
  co_return providers::provider_result<void>{};
}

awaitable<providers::provider_result<providers::event_page>> stripe_client::list_events(
    const providers::event_page_request& request) {
  // A named request, moved in: g++ 12 destroys a temporary built inside the co_await twice.
  http::outbound_request list{"GET", event_list_target(request), {}, {}};
  auto response = co_await call("list_events", std::move(list));
  if (!response) {
    co_return response.error();
  }
  auto page = parse_event_list(response->body);
  if (!page) {
    co_return provider_error{provider_error::kind::unavailable,
                             "Stripe answered the event list with something else than a list"};
  }
  co_return std::move(*page);
}

}  // namespace supportd::providers::stripe

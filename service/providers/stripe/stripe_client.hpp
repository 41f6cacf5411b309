// Stripe's API, for pledges: Checkout Sessions, the reader's changes to a subscription (a
// Billing Portal session for the card, a new price, paused collection) and its cancellation;
// and its event list, for the reconciliation.
//
// Every call goes through the provider's circuit breaker, and is tried up to three times with
// jittered exponential backoff on network errors, 409, 429 and 5xx (as Stripe-Should-Retry
// says). Not thread-safe: one per worker thread; the breaker is shared.
#pragma once

#include <memory>
#include <string>

#include "http/outbound_http.hpp"
#include "providers/checkout_provider.hpp"
#include "providers/circuit_breaker.hpp"
#include "providers/event_source.hpp"
#include "providers/provider_metrics.hpp"
#include "providers/retry_policy.hpp"
#include "providers/stripe/checkout_params.hpp"

namespace supportd::providers::stripe {

struct client_settings {
  http::base_url api;
  std::string secret_key;
  checkout_options checkout;
  std::chrono::milliseconds timeout{10'000};
  retry_policy retry;
  // Connections each worker keeps open to the API between calls. Every call beyond them opens
  // its own (a TCP and TLS handshake, ~1 ms to Stripe), so this covers the checkouts a busy
  // worker has in flight at once.
  std::size_t idle_connections = 64;
};

class stripe_client final : public providers::checkout_provider, public providers::event_source {
 public:
  stripe_client(net::io_context& io, const client_settings& settings,
                std::shared_ptr<net::ssl::context> tls, circuit_breaker& breaker,
                provider_metrics& metrics);

  awaitable<providers::provider_result<providers::checkout_session>> create_checkout(
      const providers::checkout_request& r) override;
  awaitable<providers::provider_result<void>> cancel_subscription(std::string subscription_id,
                                                                  std::string traceparent) override;
  awaitable<providers::provider_result<std::string>> abandon_checkout(
      std::string session_id, std::string traceparent) override;
  awaitable<providers::provider_result<std::string>> open_payment_method_page(
      std::string customer_id, std::string return_url, std::string traceparent) override;
  awaitable<providers::provider_result<void>> change_amount(
      const providers::amount_change& c) override;
  awaitable<providers::provider_result<void>> pause_collection(std::string subscription_id,
                                                               std::int64_t resumes_at_unix,
                                                               std::string traceparent) override;

  awaitable<providers::provider_result<providers::event_page>> list_events(
      const providers::event_page_request& request) override;

 private:
  awaitable<providers::provider_result<http::outbound_response>> call(
      std::string_view operation, http::outbound_request request);

  net::io_context& io_;
  const client_settings& settings_;
  http::outbound_http http_;
  circuit_breaker& breaker_;
  provider_metrics& metrics_;
};

}  // namespace supportd::providers::stripe

// What pledges need from a payment provider: a hosted checkout for a pledge, and the changes a
// reader makes to a recurring one (card, amount, pause, end). Stripe implements it (stripe/);
// tests can stand in for it.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/interval.hpp"
#include "common/money.hpp"
#include "core/net.hpp"

namespace supportd::providers {

struct checkout_request {
  std::string pledge_id;
  std::int64_t amount_minor = 0;
  common::currency money{};
  common::interval every = common::interval::once;
  std::string customer_email;
  std::string payment_method;
  std::string locale;
  std::string campaign;
  std::string success_url;
  std::string cancel_url;
  // W3C `traceparent` for the provider call: the pledge request's trace, a new parent id.
  std::string traceparent;
};

struct checkout_session {
  std::string id;
  std::string url;  // where the reader's browser goes to pay
};

// A recurring pledge's new amount, charged from its next renewal on, without proration.
struct amount_change {
  std::string subscription_id;
  std::string pledge_id;  // the subscription's pledge (for the provider's records)
  std::int64_t amount_minor = 0;
  common::currency money{};
  common::interval every = common::interval::month;
  // Makes a retry of the same change (after a timeout) a no-op at the provider.
  std::string idempotency_key;
  std::string traceparent;  // as in checkout_request
};

struct provider_error {
  enum class kind {
    unavailable,  // network, timeouts, 5xx, rate limits, circuit open: try again later (503)
    rejected,     // the provider refused the request itself (4xx): retrying will not help
  };
  kind what = kind::unavailable;
  std::string message;  // for logs: never contains secrets or personal data
};

template <class T>
using provider_result = boost::system::result<T, provider_error>;

class checkout_provider {
 public:
  virtual ~checkout_provider() = default;

  // Idempotent per pledge: asking twice for the same pledge yields the same session.
  virtual awaitable<provider_result<checkout_session>> create_checkout(
      const checkout_request& r) = 0;

  // Ends a subscription; ending one that has already ended succeeds.
  // `traceparent` as in checkout_request.
  virtual awaitable<provider_result<void>> cancel_subscription(std::string subscription_id,
                                                               std::string traceparent) = 0;

  // Closes a checkout the reader has not finished, so it can no longer be paid. If it was
  // finished meanwhile, ends the subscription it started instead, and returns that id.
  virtual awaitable<provider_result<std::string>> abandon_checkout(std::string session_id,
                                                                   std::string traceparent) = 0;

  // A page at the provider where the customer updates their card (Stripe's Billing Portal);
  // its link back leads to `return_url`. Returns the page's URL, valid for a few minutes.
  virtual awaitable<provider_result<std::string>> open_payment_method_page(
      std::string customer_id, std::string return_url, std::string traceparent) = 0;

  // Charges `c.amount_minor` from the subscription's next renewal on; the current period stays
  // as paid (no proration). Asking again for the amount it already has succeeds.
  virtual awaitable<provider_result<void>> change_amount(const amount_change& c) = 0;

  // Skips the renewals due before `resumes_at_unix` (their invoices are voided, nothing is
  // charged); collection resumes by itself then. 0 resumes now. Idempotent.
  virtual awaitable<provider_result<void>> pause_collection(std::string subscription_id,
                                                            std::int64_t resumes_at_unix,
                                                            std::string traceparent) = 0;
};

}  // namespace supportd::providers

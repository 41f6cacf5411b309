// A payment provider for the pledge use cases' tests: records what it is asked, answers at
// once or after `delay`, and fails while told to. `while_canceling` runs before a subscription's
// cancellation is answered, as the provider's own webhook may be.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/pause.hpp"
#include "providers/checkout_provider.hpp"

namespace supportd::test {

class fake_checkout_provider final : public providers::checkout_provider {
 public:
  using error_kind = providers::provider_error::kind;

  awaitable<providers::provider_result<providers::checkout_session>> create_checkout(
      const providers::checkout_request& r) override {
    checkouts.push_back(r);
    if (delay.count() > 0) {
      co_await pause(delay);
    }
    if (failing) {
      co_return providers::provider_error{*failing, "told to fail"};
    }
    co_return providers::checkout_session{"cs_" + r.pledge_id,
                                          "https://checkout.test/pay/cs_" + r.pledge_id};
  }

  awaitable<providers::provider_result<void>> cancel_subscription(
      std::string subscription_id, std::string traceparent) override {
    canceled.push_back(subscription_id);
    traceparents.push_back(std::move(traceparent));
    if (while_canceling) {
      co_await while_canceling();
    }
    if (failing) {
      co_return providers::provider_error{*failing, "told to fail"};
    }
    co_return providers::provider_result<void>();
  }

  awaitable<providers::provider_result<std::string>> abandon_checkout(
      std::string session_id, std::string traceparent) override {
    abandoned.push_back(session_id);
    traceparents.push_back(std::move(traceparent));
    if (failing) {
      co_return providers::provider_error{*failing, "told to fail"};
    }
    co_return std::string();
  }

  awaitable<providers::provider_result<std::string>> open_payment_method_page(
      std::string customer_id, std::string return_url, std::string traceparent) override {
    payment_method_pages.push_back({customer_id, std::move(return_url)});
    traceparents.push_back(std::move(traceparent));
    if (failing) {
      co_return providers::provider_error{*failing, "told to fail"};
    }
    co_return "https://billing.test/p/session/" + customer_id;
  }

  awaitable<providers::provider_result<void>> change_amount(
      const providers::amount_change& c) override {
    amount_changes.push_back(c);
    if (failing) {
      co_return providers::provider_error{*failing, "told to fail"};
    }
    co_return providers::provider_result<void>();
  }

  awaitable<providers::provider_result<void>> pause_collection(std::string subscription_id,
                                                               std::int64_t resumes_at_unix,
                                                               std::string traceparent) override {
    pauses.push_back({subscription_id, resumes_at_unix});
    traceparents.push_back(std::move(traceparent));
    if (failing) {
      co_return providers::provider_error{*failing, "told to fail"};
    }
    co_return providers::provider_result<void>();
  }

  // Every call fails with this while it is set.
  std::optional<error_kind> failing;
  // How long create_checkout takes.
  std::chrono::milliseconds delay{0};
  // Run inside cancel_subscription, before it answers.
  std::function<awaitable<void>()> while_canceling;

  std::vector<providers::checkout_request> checkouts;
  std::vector<std::string> canceled;                                      // subscription ids
  std::vector<std::string> abandoned;                                     // checkout session ids
  std::vector<std::pair<std::string, std::string>> payment_method_pages;  // customer, return URL
  std::vector<providers::amount_change> amount_changes;
  std::vector<std::pair<std::string, std::int64_t>> pauses;  // subscription, resumes at (0: now)
  std::vector<std::string> traceparents;                     // of every call but create_checkout
};

}  // namespace supportd::test

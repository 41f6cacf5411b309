// A payment provider for the pledge use cases' tests: records what it is asked, answers at
// once or after `delay`, and fails while told to.
#pragma once

#include <chrono>
#include <optional>
#include <string>
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

  // Every call fails with this while it is set.
  std::optional<error_kind> failing;
  // How long create_checkout takes.
  std::chrono::milliseconds delay{0};

  std::vector<providers::checkout_request> checkouts;
  std::vector<std::string> canceled;      // subscription ids
  std::vector<std::string> abandoned;     // checkout session ids
  std::vector<std::string> traceparents;  // of cancel_subscription and abandon_checkout
};

}  // namespace supportd::test

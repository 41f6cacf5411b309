// When and how soon a provider call is tried again.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace supportd::providers {

struct retry_policy {
  int max_attempts = 3;
  std::chrono::milliseconds first_delay{500};
  std::chrono::milliseconds max_delay{5000};

  // Whether a call that ended this way may be tried again: network errors (status 0), 409,
  // 429 and 5xx, unless the provider said `Stripe-Should-Retry: false`; and anything the
  // provider marked `Stripe-Should-Retry: true`.
  static bool retryable(int status, std::string_view should_retry_header);

  // The pause before attempt `attempt` (2, 3, …): exponential, capped, with jitter in
  // [half, full] from `unit_random` in [0, 1).
  std::chrono::milliseconds delay_before(int attempt, double unit_random) const;
};

}  // namespace supportd::providers

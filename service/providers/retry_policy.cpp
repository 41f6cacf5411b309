#include "providers/retry_policy.hpp"

#include <algorithm>

namespace supportd::providers {

bool retry_policy::retryable(int status, std::string_view should_retry_header) {
  if (should_retry_header == "true") {
    return true;
  }
  if (should_retry_header == "false") {
    return false;
  }
  return status == 0 || status == 409 || status == 429 || status >= 500;
}

std::chrono::milliseconds retry_policy::delay_before(int attempt, double unit_random) const {
  auto delay = first_delay;
  for (int i = 2; i < attempt && delay < max_delay; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, max_delay);
  // Half the delay, in whole milliseconds, plus up to as much again at random.
  const auto half = delay.count() / 2;
  return std::chrono::milliseconds(half +
                                   static_cast<long>(unit_random * static_cast<double>(half)));
}

}  // namespace supportd::providers

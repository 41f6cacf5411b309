#include "notify/retry_schedule.hpp"

#include <algorithm>
#include <array>

namespace supportd::notify {

std::optional<std::chrono::seconds> retry_delay(int failed_attempts,
                                                std::optional<std::chrono::seconds> retry_after) {
  using namespace std::chrono_literals;
  static constexpr std::array<std::chrono::seconds, 10> schedule = {0s, 5s,  5min, 30min, 2h,
                                                                    5h, 10h, 14h,  20h,   24h};
  if (failed_attempts < 0) {
    failed_attempts = 0;
  }
  if (failed_attempts >= static_cast<int>(schedule.size())) {
    return std::nullopt;
  }
  auto delay = schedule[failed_attempts];
  if (retry_after) {
    // A receiver asking us to wait is honoured, but not for days: a message that long late
    // has lost its point, and the schedule's own longest wait is a day.
    delay = std::max(delay, std::min(*retry_after, std::chrono::seconds(24h)));
  }
  return delay;
}

}  // namespace supportd::notify

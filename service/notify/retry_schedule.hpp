// When a failed delivery to the site's email service is tried again: the Standard Webhooks
// schedule (https://www.standardwebhooks.com/), which reminders and the outbound messages share.
#pragma once

#include <chrono>
#include <optional>

namespace supportd::notify {

// The first attempt immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h
// after each failure. Returns how long to wait after `failed_attempts` failures (0 before the
// first attempt), or nullopt once all ten attempts have failed and the delivery goes to the dead
// letters. A receiver's Retry-After can only postpone the next attempt, and by 24 h at most.
std::optional<std::chrono::seconds> retry_delay(
    int failed_attempts, std::optional<std::chrono::seconds> retry_after = std::nullopt);

}  // namespace supportd::notify

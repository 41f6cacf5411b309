// Turns a dead provider into fast failures. Thread-safe: one per provider, shared by workers.
//
// Closed: calls go through. After `failures_to_open` consecutive failed calls it opens: calls
// fail at once for `open_for`. Then it lets one trial call through (half-open): success closes
// it, failure opens it again.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace supportd::providers {

class circuit_breaker {
 public:
  using clock = std::chrono::steady_clock;
  enum class state { closed, open, half_open };

  circuit_breaker(int failures_to_open, std::chrono::milliseconds open_for,
                  std::function<clock::time_point()> now = clock::now)
      : failures_to_open_(failures_to_open), open_for_(open_for), now_(std::move(now)) {}

  // Whether a call may go out now. In half-open, only the first asker gets true.
  bool allow();
  void record_success();
  void record_failure();
  state current() const;

 private:
  mutable std::mutex mutex_;
  int failures_to_open_;
  std::chrono::milliseconds open_for_;
  std::function<clock::time_point()> now_;
  state state_ = state::closed;
  int consecutive_failures_ = 0;
  clock::time_point open_until_{};
  bool trial_out_ = false;
};

}  // namespace supportd::providers

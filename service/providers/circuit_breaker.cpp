#include "providers/circuit_breaker.hpp"

namespace supportd::providers {

bool circuit_breaker::allow() {
  std::lock_guard lock(mutex_);
  if (state_ == state::open && now_() >= open_until_) {
    state_ = state::half_open;
    trial_out_ = false;
  }
  switch (state_) {
    case state::closed:
      return true;
    case state::open:
      return false;
    case state::half_open:
      if (trial_out_) {
        return false;
      }
      trial_out_ = true;
      return true;
  }
  return false;
}

void circuit_breaker::record_success() {
  std::lock_guard lock(mutex_);
  state_ = state::closed;
  consecutive_failures_ = 0;
  trial_out_ = false;
}

void circuit_breaker::record_failure() {
  std::lock_guard lock(mutex_);
  ++consecutive_failures_;
  if (state_ == state::half_open || consecutive_failures_ >= failures_to_open_) {
    state_ = state::open;
    open_until_ = now_() + open_for_;
    trial_out_ = false;
  }
}

circuit_breaker::state circuit_breaker::current() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace supportd::providers

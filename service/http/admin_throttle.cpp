#include "http/admin_throttle.hpp"

#include <algorithm>

namespace supportd::http {

std::optional<std::chrono::seconds> admin_throttle::refused_for(std::string_view who,
                                                                clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = by_address_.find(std::string(who));
  if (it == by_address_.end()) {
    return std::nullopt;
  }
  const auto ends = it->second.window_start + window_;
  if (now >= ends) {
    by_address_.erase(it);
    return std::nullopt;
  }
  if (it->second.failures < max_failures_) {
    return std::nullopt;
  }
  // Rounded up: a client that waits Retry-After seconds is not refused again.
  auto left = std::chrono::ceil<std::chrono::seconds>(ends - now);
  return std::max(left, std::chrono::seconds(1));
}

void admin_throttle::failed(std::string_view who, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = by_address_.find(std::string(who));
  if (it != by_address_.end() && now >= it->second.window_start + window_) {
    by_address_.erase(it);
    it = by_address_.end();
  }
  if (it == by_address_.end()) {
    make_room(now);
    it = by_address_.emplace(std::string(who), entry{now, 0}).first;
  }
  ++it->second.failures;
}

void admin_throttle::succeeded(std::string_view who) {
  std::lock_guard lock(mutex_);
  by_address_.erase(std::string(who));
}

void admin_throttle::make_room(clock::time_point now) {
  if (by_address_.size() < max_addresses_) {
    return;
  }
  std::erase_if(by_address_, [&](const auto& e) { return now >= e.second.window_start + window_; });
  if (by_address_.size() < max_addresses_) {
    return;
  }
  auto oldest = std::min_element(
      by_address_.begin(), by_address_.end(),
      [](const auto& a, const auto& b) { return a.second.window_start < b.second.window_start; });
  by_address_.erase(oldest);
}

}  // namespace supportd::http

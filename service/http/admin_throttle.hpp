// Failed admin-token attempts per client address: after `max_failures` wrong tokens within
// `window`, that address is refused (429) until the window that began with its first failure
// ends, whatever token it sends, so the token cannot be guessed at network speed.
//
// Thread-safe (one mutex; touched only by requests that present a token to /admin/*). Counts
// live in this process: with N replicas a guesser gets N times the budget, still far too little
// for a 16-character token. At most `max_addresses` addresses are tracked; past that, expired
// entries are dropped first, then the oldest window.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace supportd::http {

class admin_throttle {
 public:
  using clock = std::chrono::steady_clock;

  admin_throttle(unsigned max_failures, std::chrono::seconds window,
                 std::size_t max_addresses = 10'000)
      : max_failures_(max_failures), window_(window), max_addresses_(max_addresses) {}

  // When `who` may not try now: the seconds until it may (at least 1). nullopt: go ahead.
  std::optional<std::chrono::seconds> refused_for(std::string_view who, clock::time_point now);
  // A wrong token from `who`.
  void failed(std::string_view who, clock::time_point now);
  // The right token from `who`: its count starts over.
  void succeeded(std::string_view who);

 private:
  struct entry {
    clock::time_point window_start;
    unsigned failures = 0;
  };
  void make_room(clock::time_point now);

  const unsigned max_failures_;
  const std::chrono::seconds window_;
  const std::size_t max_addresses_;
  std::mutex mutex_;
  std::unordered_map<std::string, entry> by_address_;
};

}  // namespace supportd::http

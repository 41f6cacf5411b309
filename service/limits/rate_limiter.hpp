// Requests per client per window (a minute unless said otherwise), counted in Redis so every
// replica shares the count.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <string_view>

#include "core/net.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::limits {

struct rate_decision {
  bool allowed = true;
  int retry_after_seconds = 0;  // when refused: until the current window ends
};

class rate_limiter {
 public:
  // `limit` requests per `window`; 0 turns limiting off.
  rate_limiter(redis::connection& redis, std::string_view prefix, unsigned limit,
               std::chrono::milliseconds window = std::chrono::minutes(1))
      : redis_(redis), prefix_(prefix), limit_(limit), window_ms_(window.count()) {}

  // Counts one request of `who` (a client address, or a keyed hash of an email: never the
  // address itself) in `scope` (e.g. "public-post").
  awaitable<boost::system::result<rate_decision>> hit(std::string_view scope, std::string_view who);

 private:
  redis::connection& redis_;
  std::string_view prefix_;
  unsigned limit_;
  std::int64_t window_ms_;
};

}  // namespace supportd::limits

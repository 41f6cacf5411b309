// Requests per client per minute, counted in Redis so every replica shares the count.
#pragma once

#include <boost/system/result.hpp>
#include <string_view>

#include "core/net.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::limits {

struct rate_decision {
  bool allowed = true;
  int retry_after_seconds = 0;  // when refused: until the current minute's window ends
};

class rate_limiter {
 public:
  // `per_minute` 0 turns limiting off.
  rate_limiter(redis::connection& redis, std::string_view prefix, unsigned per_minute)
      : redis_(redis), prefix_(prefix), per_minute_(per_minute) {}

  // Counts one request of `who` (a client address) in `scope` (e.g. "public-post").
  awaitable<boost::system::result<rate_decision>> hit(std::string_view scope, std::string_view who);

 private:
  redis::connection& redis_;
  std::string_view prefix_;
  unsigned per_minute_;
};

}  // namespace supportd::limits

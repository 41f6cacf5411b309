// What the benchmark's seeding tools share: many writers on one pipelined Redis connection, so
// that a million records go in within a minute, and one line saying how long it took.
#pragma once

#include <boost/system/result.hpp>
#include <string_view>

#include "core/net.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::bench {

class seeder {
 public:
  virtual ~seeder() = default;
  // Called once with the connection, before any write.
  virtual void connected(redis::connection& redis) = 0;
  // Writes record `i`; false when it failed.
  virtual awaitable<bool> write(long i) = 0;
};

// Writes records 0 … count-1 through `s` with 256 writers, prints `seeded COUNT in SECONDS s`,
// and returns the process exit status (1 when some write failed, 2 for a bad URL).
int seed(std::string_view redis_url, long count, seeder& s);

}  // namespace supportd::bench

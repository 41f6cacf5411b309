// What a request handler can reach: the settings, this worker thread's Redis connection, the
// metrics registry. One instance per worker thread, so nothing here needs locking except what
// the types themselves document.
#pragma once

#include <atomic>

namespace supportd {

namespace config {
struct settings;
}
namespace redis {
class connection;
}
namespace metrics {
class registry;
}

struct services {
  const config::settings& settings;
  redis::connection& redis;
  metrics::registry& metrics;
  // Set once shutdown begins: /readyz turns 503 so load balancers stop sending traffic.
  const std::atomic<bool>& draining;
};

}  // namespace supportd

// What the ops routes (/healthz, /readyz, /metrics, /admin/summary) use on one worker thread;
// app/ builds one per worker.
#pragma once

namespace supportd::config {
struct settings;
}
namespace supportd::redis {
class connection;
}
namespace supportd::metrics {
class registry;
}
namespace supportd::pledges {
struct pledge_metrics;
}

namespace supportd::ops {

// The state of the whole process, as readiness sees it. Thread-safe.
class instance_status {
 public:
  virtual ~instance_status() = default;
  // Shutdown has begun: /readyz turns 503 so load balancers stop sending traffic.
  virtual bool draining() const = 0;
  // Every worker's Redis connection is ready, not only the one of the asking thread.
  virtual bool redis_ready() const = 0;
};

struct ops_context {
  const config::settings& settings;
  redis::connection& redis;
  metrics::registry& metrics;
  const instance_status& instance;
  pledges::pledge_metrics& pledge_stats;
};

}  // namespace supportd::ops

// What a request handler can reach: the settings, this worker thread's Redis connection, the
// metrics registry. One instance per worker thread, so nothing here needs locking except what
// the types themselves document.
#pragma once

namespace supportd {

namespace config {
struct settings;
}
namespace redis {
class connection;
class replica_wait;
}  // namespace redis
namespace metrics {
class registry;
}
namespace pledges {
class checkout_provider;
struct pledge_metrics;
}  // namespace pledges
namespace webhooks {
struct webhook_metrics;
}  // namespace webhooks
namespace reminders {
struct reminder_metrics;
}  // namespace reminders
namespace reconcile {
class stripe_reconciler;
}  // namespace reconcile

// The state of the whole process, as readiness sees it. Thread-safe.
class instance_status {
 public:
  virtual ~instance_status() = default;
  // Shutdown has begun: /readyz turns 503 so load balancers stop sending traffic.
  virtual bool draining() const = 0;
  // Every worker's Redis connection is ready, not only the one of the asking thread.
  virtual bool redis_ready() const = 0;
};

struct services {
  const config::settings& settings;
  redis::connection& redis;
  // Holds back the acknowledgement of a write until Redis's replicas have it
  // (--redis-wait-replicas); confirms at once when that is 0.
  redis::replica_wait& replication;
  metrics::registry& metrics;
  const instance_status& instance;
  // Null when no provider is configured: the pledge endpoints then answer 503.
  pledges::checkout_provider* checkout;
  pledges::pledge_metrics& pledge_stats;
  webhooks::webhook_metrics* webhook_stats;
  reminders::reminder_metrics& reminder_stats;
  // Null without a Stripe key or webhook secrets: the reconciliation is then off.
  reconcile::stripe_reconciler* stripe_reconciler = nullptr;
};

}  // namespace supportd

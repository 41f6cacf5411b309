// What the webhook routes use on one worker thread; app/ builds one per worker.
#pragma once

namespace supportd::config {
struct settings;
}
namespace supportd::redis {
class connection;
class replica_wait;
}  // namespace supportd::redis

namespace supportd::webhooks {

struct webhook_metrics;

struct webhook_context {
  const config::settings& settings;
  redis::connection& redis;
  // Holds back Stripe's 200 until Redis's replicas have the event.
  redis::replica_wait& replication;
  webhook_metrics& stats;
};

}  // namespace supportd::webhooks

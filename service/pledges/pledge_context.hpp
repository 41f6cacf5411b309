// What the pledge routes use on one worker thread; app/ builds one per worker.
#pragma once

namespace supportd::config {
struct settings;
}
namespace supportd::redis {
class connection;
class replica_wait;
}  // namespace supportd::redis
namespace supportd::limits {
class public_gate;
}
namespace supportd::providers {
class checkout_provider;
}

namespace supportd::pledges {

struct pledge_metrics;
class pledge_limits;

struct pledge_context {
  const config::settings& settings;
  redis::connection& redis;
  // Holds back the acknowledgement of a write until Redis's replicas have it
  // (--redis-wait-replicas); confirms at once when that is 0.
  redis::replica_wait& replication;
  limits::public_gate& gate;
  // Null when no provider is configured: the pledge endpoints then answer 503.
  providers::checkout_provider* checkout;
  pledge_metrics& stats;
  // --pledge-limits, read at start.
  const pledge_limits& limits;
};

}  // namespace supportd::pledges

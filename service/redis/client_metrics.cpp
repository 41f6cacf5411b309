#include "redis/client_metrics.hpp"

namespace supportd::redis {

client_metrics client_metrics::create(metrics::registry& registry) {
  auto& commands = registry.add_counter("supportd_redis_commands_total",
                                        "Redis commands sent (scripts count once).");
  auto& errors = registry.add_counter(
      "supportd_redis_command_errors_total",
      "Redis commands that failed, by kind: timeout, connection, overloaded, server, reply.",
      {"kind"});
  for (auto kind : {"timeout", "connection", "overloaded", "server", "reply"}) {
    errors.with({kind});
  }
  auto& latency = registry.add_histogram("supportd_redis_command_duration_seconds",
                                         "Time from sending a Redis command to its reply.", {},
                                         metrics::latency_buckets());
  auto& reconnects = registry.add_counter("supportd_redis_reconnects_total",
                                          "Connections to Redis established after the first.");
  return {commands.with({}), errors, latency.with({}), reconnects.with({})};
}

}  // namespace supportd::redis

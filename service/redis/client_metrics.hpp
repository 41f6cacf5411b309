// What the Redis client reports to Prometheus.
#pragma once

#include "metrics/registry.hpp"

namespace supportd::redis {

struct client_metrics {
  metrics::counter& commands;
  metrics::family<metrics::counter>& errors;  // label: kind
  metrics::histogram& latency;
  metrics::counter& reconnects;

  static client_metrics create(metrics::registry& registry);
};

}  // namespace supportd::redis

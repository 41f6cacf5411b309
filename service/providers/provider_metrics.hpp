// What calls out to payment providers report to Prometheus.
#pragma once

#include "metrics/registry.hpp"

namespace supportd::providers {

struct provider_metrics {
  metrics::family<metrics::counter>& calls;       // provider, operation, outcome
  metrics::family<metrics::histogram>& latency;   // provider, operation
  metrics::family<metrics::counter>& retries;     // provider, operation
  metrics::family<metrics::gauge>& breaker_open;  // provider: 1 while calls fail fast

  static provider_metrics create(metrics::registry& registry);
};

}  // namespace supportd::providers

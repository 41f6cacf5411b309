#include "providers/provider_metrics.hpp"

namespace supportd::providers {

provider_metrics provider_metrics::create(metrics::registry& r) {
  return {
      r.add_counter("supportd_provider_calls_total",
                    "Calls to payment providers by operation and outcome (ok, rejected, "
                    "unavailable, circuit_open).",
                    {"provider", "operation", "outcome"}),
      r.add_histogram("supportd_provider_call_duration_seconds",
                      "Time of one provider call, retries included.", {"provider", "operation"},
                      metrics::latency_buckets()),
      r.add_counter("supportd_provider_retries_total", "Provider call attempts after the first.",
                    {"provider", "operation"}),
      r.add_gauge("supportd_provider_circuit_open",
                  "1 while the provider's circuit breaker is open (calls fail fast).",
                  {"provider"}),
  };
}

}  // namespace supportd::providers

// What the reconciliation with Stripe reports to Prometheus. Labels come from fixed sets.
#pragma once

#include "metrics/registry.hpp"

namespace supportd::reconcile {

struct reconcile_metrics {
  metrics::family<metrics::counter>& runs;    // outcome (run_outcome's names)
  metrics::family<metrics::counter>& events;  // outcome: fed, already_applied, ignored
  // Seconds since the checkpoint, read from Redis (every replica shows the same); absent until
  // there is one.
  metrics::family<metrics::gauge>& checkpoint_age;
  // Runs that found their checkpoint older than Stripe keeps events: events in between may be
  // lost for good.
  metrics::counter& checkpoint_expired;

  static reconcile_metrics create(metrics::registry& registry);
};

}  // namespace supportd::reconcile

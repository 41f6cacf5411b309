// What reminders report to Prometheus. Labels come from fixed sets.
#pragma once

#include "metrics/registry.hpp"

namespace supportd::reminders {

struct reminder_metrics {
  metrics::family<metrics::counter>& signups;     // outcome: created
  metrics::family<metrics::counter>& refused;     // reason
  metrics::family<metrics::counter>& deliveries;  // outcome: delivered, failed, gone, dead
  metrics::family<metrics::counter>& skipped;     // reason: changed, duplicate
  metrics::family<metrics::counter>& stopped;     // how: unsubscribe, delete, pledge
  metrics::counter& erasures;
  metrics::histogram& lateness;  // seconds from due to the first attempt
  metrics::gauge& pending;
  metrics::gauge& backlog;  // due and not yet claimed
  metrics::gauge& in_flight;
  metrics::gauge& dead_letters;

  static reminder_metrics create(metrics::registry& registry);
};

}  // namespace supportd::reminders

// What webhook ingest and processing report to Prometheus. Labels come from fixed sets.
#pragma once

#include <string_view>

#include "metrics/registry.hpp"

namespace supportd::webhooks {

struct webhook_metrics {
  metrics::family<metrics::counter>& received;            // provider, type, outcome
  metrics::family<metrics::counter>& signature_failures;  // provider, reason
  metrics::family<metrics::counter>& processed;           // provider, type, outcome
  metrics::histogram& lag;                                // received -> applied, seconds
  metrics::gauge& backlog;                                // stream entries not yet acknowledged
  metrics::gauge& dead_letters;
  metrics::gauge& oldest_unprocessed_age;  // seconds since the oldest of the backlog arrived

  static webhook_metrics create(metrics::registry& registry);
};

// The type label: a handled type as it is, anything else "other".
std::string_view type_label(std::string_view type);

}  // namespace supportd::webhooks

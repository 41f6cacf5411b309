// What pledges report to Prometheus. Labels come from fixed sets only.
#pragma once

#include <string_view>

#include "metrics/registry.hpp"

namespace supportd::pledges {

struct pledge_metrics {
  metrics::family<metrics::counter>& created;      // currency, interval, component
  metrics::family<metrics::counter>& transitions;  // from, to
  metrics::family<metrics::counter>& refused;      // reason

  static pledge_metrics create(metrics::registry& registry);
};

// The component label: a known page component, else "other" (labels must stay few).
std::string_view component_label(std::string_view component);

}  // namespace supportd::pledges

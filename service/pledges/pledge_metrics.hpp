// What pledges report to Prometheus. Labels come from fixed sets only.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "metrics/registry.hpp"
#include "pledges/pledge_state.hpp"
#include "reports/report_metrics.hpp"

namespace supportd::pledges {

// Active recurring pledges and MRR by currency, as the stats hashes in Redis hold them: set by
// a periodic task from Redis, never counted in-process, so every replica reports the same.
// Thread-safe.
class recurring_gauges {
 public:
  recurring_gauges(metrics::family<metrics::gauge>& active,
                   metrics::family<metrics::gauge>& mrr_minor)
      : active_(active), mrr_minor_(mrr_minor) {}

  // Sets every currency's gauges; a currency shown before and absent now reads 0.
  void publish(const recurring_totals& totals);

 private:
  metrics::family<metrics::gauge>& active_;     // currency
  metrics::family<metrics::gauge>& mrr_minor_;  // currency
  std::mutex mutex_;
  std::set<std::string, std::less<>> shown_;
};

struct pledge_metrics {
  metrics::family<metrics::counter>& created;      // currency, interval, component
  metrics::family<metrics::counter>& transitions;  // from, to
  metrics::family<metrics::counter>& refused;      // reason
  metrics::family<metrics::counter>& changes;      // change (pledge_changes.hpp)
  std::shared_ptr<recurring_gauges> recurring;
  // The report's counters (set by app/ once the campaigns are read); null: not counted.
  const reports::report_metrics* report = nullptr;

  static pledge_metrics create(metrics::registry& registry);
};

// The component label: a known page component, else "other" (labels must stay few).
using reports::component_label;

}  // namespace supportd::pledges

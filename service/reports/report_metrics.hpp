// The report's counters for Prometheus, with labels that stay few whatever readers send:
// campaigns from --report-campaigns (any other is `other`, none is `none`), components from a
// fixed set (the same rule), currencies from the ISO 4217 list supportd accepts. Never a page,
// a variant or other free text: a label set per value would grow without end.
//
// Counted by the stores when their script says the change was written (pledge_store,
// reminder_store), so they follow the Redis counts, one process's share each. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/registry.hpp"
#include "reports/report_counter.hpp"

namespace supportd::reports {

// The component label: a known page component, else "other" ("none" when empty).
std::string_view component_label(std::string_view component);

// --report-campaigns: comma-separated campaign names (short identifiers), at most 200. The
// names, or nullopt with `why` set.
std::optional<std::vector<std::string>> parse_report_campaigns(std::string_view text,
                                                               std::string& why);
inline constexpr std::size_t max_report_campaigns = 200;

class report_metrics {
 public:
  report_metrics(metrics::registry& registry, std::vector<std::string> campaigns);

  std::string_view campaign_label(std::string_view campaign) const;

  // Counts what a script added to a day's hash: (field, amount) pairs as stored.
  void count(std::span<const std::pair<std::string, std::int64_t>> added) const;
  void count(std::string_view field, std::int64_t amount) const;

 private:
  metrics::family<metrics::counter>& events_;   // counter, campaign, component
  metrics::family<metrics::counter>& amounts_;  // campaign, component, currency
  std::set<std::string, std::less<>> campaigns_;
};

}  // namespace supportd::reports

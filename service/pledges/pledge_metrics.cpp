#include "pledges/pledge_metrics.hpp"

#include <array>

namespace supportd::pledges {

pledge_metrics pledge_metrics::create(metrics::registry& r) {
  return {
      r.add_counter("supportd_pledges_created_total",
                    "Pledges created (handed to checkout), by currency, interval and the page "
                    "component they came from.",
                    {"currency", "interval", "component"}),
      r.add_counter("supportd_pledge_transitions_total", "Pledge state changes.", {"from", "to"}),
      r.add_counter("supportd_pledge_requests_refused_total",
                    "Pledge requests refused, by reason (invalid, card_number, rate_limited, "
                    "origin, idempotency_conflict, provider_unavailable, provider_rejected).",
                    {"reason"}),
  };
}

std::string_view component_label(std::string_view component) {
  static constexpr std::array<std::string_view, 10> known = {
      "banner", "epic",       "thank-you", "header",       "footer",
      "popup",  "newsletter", "article",   "landing-page", "app"};
  for (auto k : known) {
    if (k == component) {
      return k;
    }
  }
  return component.empty() ? "none" : "other";
}

}  // namespace supportd::pledges

#include "webhooks/webhook_metrics.hpp"

#include "webhooks/stripe_event.hpp"

namespace supportd::webhooks {

webhook_metrics webhook_metrics::create(metrics::registry& r) {
  static constexpr double lag_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                           1,     2.5,  5,     10,   30,  60,   300};
  return {
      r.add_counter("supportd_webhooks_received_total",
                    "Provider webhooks received, by type and outcome (accepted, bad_signature, "
                    "wrong_mode, malformed, unavailable, not_replicated).",
                    {"provider", "type", "outcome"}),
      r.add_counter("supportd_webhook_signature_failures_total",
                    "Webhooks refused for their signature, by reason.", {"provider", "reason"}),
      r.add_counter("supportd_webhook_events_processed_total",
                    "Webhook events processed, by type and outcome (applied, duplicate, orphan, "
                    "unknown_type, dead_letter).",
                    {"provider", "type", "outcome"}),
      r.add_histogram("supportd_webhook_ingest_to_applied_seconds",
                      "Time from a webhook's receipt to its effect.", {}, lag_buckets)
          .with({}),
      r.add_gauge("supportd_webhook_backlog", "Received webhook events not yet processed.")
          .with({}),
      r.add_gauge("supportd_webhook_dead_letters", "Webhook events that failed every attempt.")
          .with({}),
      r.add_gauge("supportd_webhook_oldest_unprocessed_age_seconds",
                  "Seconds since the oldest webhook event not yet processed was received; 0 when "
                  "none waits.")
          .with({}),
  };
}

std::string_view type_label(std::string_view type) {
  return is_handled_type(type) ? type : "other";
}

}  // namespace supportd::webhooks

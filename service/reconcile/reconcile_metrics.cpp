#include "reconcile/reconcile_metrics.hpp"

namespace supportd::reconcile {

reconcile_metrics reconcile_metrics::create(metrics::registry& r) {
  return {
      r.add_counter("supportd_stripe_reconcile_runs_total",
                    "Reconciliations with Stripe's event list, by outcome (ok, "
                    "provider_unavailable, provider_rejected, store_unavailable, backlog_full, "
                    "lease_lost, stopped, stuck).",
                    {"outcome"}),
      r.add_counter("supportd_stripe_reconcile_events_total",
                    "Events the reconciliation listed, by outcome (fed: appended to the event "
                    "stream, already_applied: their dedupe mark was there, ignored: the other "
                    "mode or not an event supportd reads).",
                    {"outcome"}),
      r.add_gauge("supportd_stripe_reconcile_checkpoint_age_seconds",
                  "Seconds since the reconciliation's checkpoint: every Stripe event created "
                  "before it was applied or fed."),
      r.add_counter("supportd_stripe_reconcile_checkpoint_expired_total",
                    "Reconciliations whose checkpoint was older than the 30 days Stripe keeps "
                    "events: they started at the oldest available, and events in between may "
                    "be lost.")
          .with({}),
  };
}

}  // namespace supportd::reconcile

#include "reminders/reminder_metrics.hpp"

namespace supportd::reminders {

reminder_metrics reminder_metrics::create(metrics::registry& r) {
  static constexpr double lateness_buckets[] = {0.1, 0.25, 0.5, 1,   2.5,  5,    10,
                                                30,  60,   300, 900, 3600, 21600};
  return {
      r.add_counter("supportd_reminder_signups_total",
                    "Reminder sign-ups accepted (outcome: created; every sign-up is a new "
                    "reminder).",
                    {"outcome"}),
      r.add_counter("supportd_reminder_requests_refused_total",
                    "Reminder requests refused, by reason (invalid, card_number, rate_limited, "
                    "email_rate_limited, unavailable, not_replicated).",
                    {"reason"}),
      r.add_counter("supportd_reminder_deliveries_total",
                    "Reminder webhook attempts by outcome (delivered, failed, gone: the receiver "
                    "answered 410, dead: the last attempt failed).",
                    {"outcome"}),
      r.add_counter("supportd_reminder_deliveries_skipped_total",
                    "Claimed reminders not sent: changed before sending (unsubscribed, "
                    "erased), or duplicate (another reminder of the reader for the campaign went "
                    "out within the delivery window).",
                    {"reason"}),
      r.add_counter("supportd_reminders_stopped_total",
                    "Reminders stopped by the reader: unsubscribe, delete, or a pledge.", {"how"}),
      r.add_counter("supportd_reminder_erasures_total", "Erasure requests carried out.").with({}),
      r.add_histogram("supportd_reminder_lateness_seconds",
                      "Time from a reminder's due time to its first delivery attempt.", {},
                      lateness_buckets)
          .with({}),
      r.add_gauge("supportd_reminders_pending", "Reminders waiting for their due time.").with({}),
      r.add_gauge("supportd_reminder_backlog", "Reminders due now and not yet being delivered.")
          .with({}),
      r.add_gauge("supportd_reminders_in_flight", "Reminders being delivered under a lease.")
          .with({}),
      r.add_gauge("supportd_reminder_dead_letters", "Reminders that failed every attempt.")
          .with({}),
  };
}

}  // namespace supportd::reminders

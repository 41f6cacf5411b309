#include "notify/outbox_metrics.hpp"

namespace supportd::notify {

outbox_metrics outbox_metrics::create(metrics::registry& r) {
  return {
      r.add_counter("supportd_message_deliveries_total",
                    "Attempts to deliver the reader's messages (pledge.*) by outcome: delivered, "
                    "skipped (nothing left to send: the reader was erased, the pledge is gone), "
                    "failed (tried again later), gone (the receiver answered 410), dead (the last "
                    "attempt failed).",
                    {"outcome"}),
      r.add_gauge("supportd_messages_queued", "Reader messages waiting to be sent, due or not.")
          .with({}),
      r.add_gauge("supportd_message_backlog", "Reader messages due now and not yet being sent.")
          .with({}),
      r.add_gauge("supportd_messages_in_flight", "Reader messages being sent under a lease.")
          .with({}),
      r.add_gauge("supportd_message_dead_letters",
                  "Reader messages that failed every attempt or got 410, waiting for a replay.")
          .with({}),
  };
}

}  // namespace supportd::notify

// What the outbound messages' senders report to Prometheus. Labels come from fixed sets.
#pragma once

#include "metrics/registry.hpp"

namespace supportd::notify {

struct outbox_metrics {
  // outcome: delivered, skipped (nothing left to send), failed (tried again later), gone (410),
  // dead (the last attempt failed)
  metrics::family<metrics::counter>& deliveries;
  metrics::gauge& queued;
  metrics::gauge& backlog;  // due now and not yet being sent
  metrics::gauge& in_flight;
  metrics::gauge& dead_letters;

  static outbox_metrics create(metrics::registry& registry);
};

}  // namespace supportd::notify

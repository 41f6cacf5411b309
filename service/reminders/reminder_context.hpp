// What the reminder routes use on one worker thread; app/ builds one per worker.
#pragma once

namespace supportd::config {
struct settings;
}
namespace supportd::redis {
class connection;
class replica_wait;
}  // namespace supportd::redis
namespace supportd::limits {
class public_gate;
}

namespace supportd::reminders {

struct reminder_metrics;

struct reminder_context {
  const config::settings& settings;
  redis::connection& redis;
  // Holds back a sign-up's acknowledgement until Redis's replicas have it.
  redis::replica_wait& replication;
  limits::public_gate& gate;
  reminder_metrics& stats;
};

}  // namespace supportd::reminders

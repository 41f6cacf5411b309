// A reader signing up for a reminder, once the request is valid: counted against the sign-ups
// allowed per address, written as a new reminder (reminder_book), and acknowledged only once
// Redis's replicas have it (--redis-wait-replicas). No HTTP here: the route maps the outcome.
//
// Not thread-safe: one per worker thread, over that thread's Redis connection.
#pragma once

#include <string_view>

#include "core/net.hpp"
#include "limits/rate_limiter.hpp"
#include "reminders/reminder_book.hpp"

namespace supportd::redis {
class connection;
class replica_wait;
}  // namespace supportd::redis

namespace supportd::reminders {

struct signup_outcome {
  enum class kind {
    signed_up,       // `done` names the new reminder
    reader_limited,  // too many sign-ups for this address this hour; nothing written
    unavailable,     // Redis did not answer
    not_replicated,  // written, but not confirmed by enough replicas in time
  };
  kind what = kind::unavailable;
  signup done;
  int retry_after_seconds = 0;  // reader_limited: until the hour's window ends
};

class reminder_signup {
 public:
  // `per_reader_per_hour` sign-ups one address may make in an hour, 0 for any number.
  // `redis_prefix` must outlive this (it lives in the settings).
  reminder_signup(reminder_book& book, redis::connection& redis, std::string_view redis_prefix,
                  unsigned per_reader_per_hour, redis::replica_wait& replication);

  awaitable<signup_outcome> sign_up(const valid_reminder& r, std::int64_t now_unix);

 private:
  reminder_book& book_;
  limits::rate_limiter per_reader_;
  bool limited_;
  redis::replica_wait& replication_;
};

}  // namespace supportd::reminders

#include "reminders/reminder_signup.hpp"

#include <chrono>
#include <string>

#include "redis/replica_wait.hpp"
#include "security/data_keys.hpp"
#include "security/secrets.hpp"

namespace supportd::reminders {
namespace {

signup_outcome refused(signup_outcome::kind what, int retry_after_seconds = 0) {
  signup_outcome out;
  out.what = what;
  out.retry_after_seconds = retry_after_seconds;
  return out;
}

}  // namespace

reminder_signup::reminder_signup(reminder_book& book, redis::connection& redis,
                                 std::string_view redis_prefix, unsigned per_reader_per_hour,
                                 redis::replica_wait& replication)
    : book_(book),
      per_reader_(redis, redis_prefix, per_reader_per_hour, std::chrono::hours(1)),
      limited_(per_reader_per_hour > 0),
      replication_(replication) {}

awaitable<signup_outcome> reminder_signup::sign_up(const valid_reminder& r, std::int64_t now_unix) {
  using kind = signup_outcome::kind;
  // Counted per reader under a keyed hash of the address (128 bits of it): Redis never sees
  // the address, and without the data keys no one can tell whose count it is.
  if (limited_) {
    const auto reader = security::to_hex(book_.keys().lookup_hash("rate-limit", r.email));
    const auto who = std::string_view(reader).substr(0, 32);
    auto rate = co_await per_reader_.hit("reminder-email", who);
    if (!rate) {
      co_return refused(kind::unavailable);
    }
    if (!rate->allowed) {
      co_return refused(kind::reader_limited, rate->retry_after_seconds);
    }
  }
  const auto written_on = replication_.session();
  auto done = co_await book_.sign_up(r, now_unix);
  if (!done) {
    co_return refused(kind::unavailable);
  }
  // Sent again after a "not replicated", the sign-up makes a second reminder; delivery sends
  // the reader one per campaign all the same.
  auto held = co_await replication_.confirm(written_on);
  if (held != redis::replica_wait::outcome::confirmed) {
    co_return refused(kind::not_replicated);
  }
  signup_outcome out;
  out.what = kind::signed_up;
  out.done = std::move(*done);
  co_return out;
}

}  // namespace supportd::reminders

// The outbound messages' queue in Redis (outbox.hpp has the key layout): what a sender claims
// under a lease, records the outcome of, and what an admin replays. Producers queue messages in
// their own scripts (pledges/scripts/queue_messages.lua), in the same script as the change that
// makes them.
//
// Not thread-safe: one per worker thread, over that thread's Redis connection.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "notify/outbox.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::notify {

// A message as claimed.
struct claimed_message {
  std::string id;  // its webhook-id
  std::string text;
  int failed_attempts = 0;
  std::int64_t lease_until_ms = 0;
};

// What became of a claimed message.
struct message_outcome {
  enum class kind {
    done,   // sent, or there was nothing left to send (its reader erased): it goes
    retry,  // due again at `when_ms`
    dead,   // a dead letter, kept for a replay
  };
  std::string id;
  std::int64_t lease_until_ms = 0;  // as claimed: a lease taken over meanwhile is not ours
  kind what = kind::done;
  std::int64_t when_ms = 0;
  int failed_attempts = 0;
  std::string error;  // no personal data
};

// How many messages are in each place.
struct outbox_counts {
  std::int64_t queued = 0;  // waiting, due or not
  std::int64_t due = 0;     // of those, due by now: the backlog
  std::int64_t sending = 0;
  std::int64_t dead = 0;
};

// A dead letter, as an admin sees it.
struct dead_message {
  std::string id;  // its webhook-id
  std::int64_t died_at_ms = 0;
  int failed_attempts = 0;  // the last included
  std::string last_error;   // no personal data
};

class outbox_store {
 public:
  outbox_store(redis::connection& redis, std::string_view prefix);

  // Up to `limit` messages due at `now_ms` (or whose lease ran out), leased until
  // `lease_until_ms`: no other sender gets them meanwhile.
  awaitable<boost::system::result<std::vector<claimed_message>>> claim(std::int64_t now_ms,
                                                                       std::int64_t lease_until_ms,
                                                                       std::size_t limit);

  // Records the outcomes in one script; answers how many were still under their lease.
  awaitable<boost::system::result<std::int64_t>> settle(const std::vector<message_outcome>& done,
                                                        std::int64_t now_ms);

  awaitable<boost::system::result<outbox_counts>> counts(std::int64_t now_ms);

  // The `limit` dead letters that died first, oldest first.
  awaitable<boost::system::result<std::vector<dead_message>>> dead_letters(std::size_t limit);

  // A dead letter due again now, its failures forgotten; false when `id` is no dead letter.
  awaitable<boost::system::result<bool>> replay(std::string_view id, std::int64_t now_ms);

 private:
  redis::connection& redis_;
  outbox_keys keys_;
};

}  // namespace supportd::notify

// What readers and admins do to reminders: sign up, unsubscribe, delete, have them cancelled
// by giving, be erased; re-seal addresses, replay a dead letter. Each is a read and a
// compare-and-set write on reminder_store, retried when a concurrent change wins (a replay is
// not: see replay_dead).
//
// Not thread-safe: one per worker thread, over that thread's Redis connection.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/net.hpp"
#include "reminders/reminder_request.hpp"
#include "reminders/reminder_store.hpp"

namespace supportd::security {
class data_keys;
}

namespace supportd::reminders {

// A sign-up is always a new reminder of its own: nothing in it says whether the address had one.
struct signup {
  std::string id;
  std::int64_t due_unix = 0;
};

enum class stop_outcome {
  stopped,          // it will not be sent
  already_stopped,  // it had been unsubscribed, delivered, cancelled or deleted before
  not_found,
};

struct erasure_report {
  std::int64_t reminders_removed = 0;
};

enum class replay_outcome {
  replayed,   // pending again, due now
  not_found,  // no such reminder, or it is not a dead letter (any more)
  changed,    // someone changed it between the read and the write: nothing done
};

// One call's share of re-sealing every stored address under the sealing key.
struct reseal_report {
  std::string cursor;           // where the next call goes on; "0": the walk is done
  std::int64_t examined = 0;    // reminders holding an address
  std::int64_t resealed = 0;    // moved to the sealing key by this call
  std::int64_t unreadable = 0;  // under a key no line of the key file has: left as they are
  std::int64_t changed = 0;     // rewritten meanwhile by someone else (so sealed anew anyway)
};

class reminder_book {
 public:
  // `keys` and `link_secret` must outlive the book (they live in the settings).
  reminder_book(reminder_store& store, const security::data_keys& keys,
                std::string_view link_secret, std::chrono::milliseconds retention);

  // A new reminder under a new random id (reminder_id.hpp), whatever the reader has already:
  // one round trip, the same work and the same answer for a first and a repeated sign-up. It
  // never touches another reminder; the delivery keeps the reader from getting two for one
  // campaign (reminder_scheduler.hpp).
  awaitable<boost::system::result<signup>> sign_up(const valid_reminder& r, std::int64_t now_unix);

  // The reader said stop (one-click unsubscribe, a link only the address's owner received): this
  // reminder, and the reader's other pending ones for the same campaign, are kept as tombstones
  // without personal data for the retention period, so the link keeps answering
  // "unsubscribed".
  awaitable<boost::system::result<stop_outcome>> unsubscribe(std::string_view id,
                                                             std::int64_t now_unix);

  // The reader paid a pledge for the campaign (its first successful payment): every pending
  // reminder of theirs for it is cancelled. `reader_hash` is reminder_id.hpp's (a pledge keeps
  // it, not the address). Answers how many were cancelled; safe to repeat.
  awaitable<boost::system::result<std::int64_t>> cancel_for_paid_pledge(
      std::string_view reader_hash, std::string_view campaign, std::int64_t now_unix);

  // The reader deleted it with its manage token: nothing of it stays.
  awaitable<boost::system::result<stop_outcome>> remove(std::string_view id);

  // Every reminder of the reader with this (normalised) address, gone.
  awaitable<boost::system::result<erasure_report>> erase_reader(std::string_view email);

  // Re-seals, under the key file's first line, the addresses sealed under any other, walking
  // the store from `cursor` ("0" to start) for at least `limit` reminders or to the end. Once a
  // walk reports nothing re-sealed or unreadable, no stored address needs an older key.
  awaitable<boost::system::result<reseal_report>> reseal(std::string_view cursor,
                                                         std::int64_t limit);

  // A dead letter sent again: pending, due now, its failed attempts forgotten. One attempt: a
  // dead letter that changed meanwhile is no longer the one the admin chose to replay.
  awaitable<boost::system::result<replay_outcome>> replay_dead(std::string_view id,
                                                               std::int64_t now_unix);

  // Unsubscribe links are signed and expire (the manage token is reminder_id.hpp's).
  std::string unsubscribe_token(std::string_view id, std::int64_t now_unix) const;
  bool unsubscribe_token_matches(std::string_view id, std::string_view token,
                                 std::int64_t now_unix) const;

  const security::data_keys& keys() const { return keys_; }
  std::chrono::milliseconds retention() const { return retention_; }

 private:
  // Rewrites a pending reminder as a finished one with `status` and no personal data.
  awaitable<boost::system::result<stop_outcome>> stop(std::string_view id,
                                                      v1::Reminder::Status status,
                                                      std::int64_t now_unix);

  // Stops, as `status`, the pending (or dead) reminders of the reader with `reader_hash` for
  // `campaign`, but `except`; the address each holds is checked, not only the id's prefix.
  awaitable<boost::system::result<std::int64_t>> stop_readers_campaign(std::string_view reader_hash,
                                                                       std::string_view campaign,
                                                                       std::string_view except,
                                                                       v1::Reminder::Status status,
                                                                       std::int64_t now_unix);

  reminder_store& store_;
  const security::data_keys& keys_;
  std::string_view link_secret_;
  std::chrono::milliseconds retention_;
};

// The same reminder finished: status set, the address and page dropped, out of every set.
v1::Reminder finished(const v1::Reminder& r, v1::Reminder::Status status, std::int64_t now_unix);

}  // namespace supportd::reminders

// Reminders in Redis. A reminder is one protobuf value; where it sits in the sorted sets says
// what happens to it next:
//
//   <prefix>rem:b:<xx>    hash, one of 4096 buckets (<xx>: the id's first two characters):
//                         id -> supportd.v1.Reminder, for reminders kept until something
//                         happens to them (pending, being delivered, dead letters)
//   <prefix>rem:<id>      string: a finished reminder (delivered, unsubscribed, cancelled),
//                         which expires after the retention
//   <prefix>rem:ctx:<c>   string: attribution that pending reminders share (see below)
//   <prefix>rem:due       sorted set: pending reminders by due time (unix ms), oldest first
//   <prefix>rem:lease     sorted set: reminders being delivered, by lease expiry (unix ms)
//   <prefix>rem:dead      sorted set: reminders whose every attempt failed, by when they died
//   <prefix>report:…      the reader-revenue report's counts and delivery marks, added to by
//                         the scripts that write reminders (reports/report_counter.hpp)
//   <prefix>rem:sent:<k>  string: `<id>:<occurrence>|<until ms>` of the reminder that went out
//                         to a reader for a campaign (<k>: reminder_id.hpp's
//                         reader_campaign_key) and when the delivery window ends: the send claim
//                         (the key expires a minute after that)
//
// A reader may have several pending reminders for one campaign (every sign-up is a reminder of
// its own, so that knowing an address gives no power over anyone's reminder); the send claim,
// taken just before sending, keeps them from reaching the reader more than once per window.
//
// A reminder is in at most one of the three sorted sets; every script keeps it so, and the
// write after a delivery relies on it (a leased reminder need not be looked for elsewhere).
//
// Memory per pending reminder is what a large list of sign-ups costs, so a pending one is kept
// small: in a bucket rather than a key of its own (a key costs ~80 bytes before its value), and
// without its attribution (campaign, component, page, locale, consent version, zone), which
// thousands of readers of one article share: that is kept once under a hash of itself, and the
// record holds the hash (`context`). With Redis's `hash-max-listpack-value` at 128 or more a
// bucket stays a compact listpack (deploy/ sets it); either way it works.
//
// Every change is compare-and-set on the stored bytes (one Lua script), so an unsubscribe, a
// paid pledge and a delivery's outcome racing on one reminder never lose each other's effect:
// the loser reads again and decides again. Claiming is one script too, so any number of
// schedulers share the due set: each reminder goes to one of them, under a lease; a scheduler
// that dies lets its lease run out and another takes the reminder over.
#pragma once

#include <array>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "reports/report_counter.hpp"
#include "reports/report_metrics.hpp"
#include "supportd/v1/reminder.pb.h"

namespace supportd::redis {
class connection;
class script;
}  // namespace supportd::redis

namespace supportd::reminders {

// A reminder as read (its shared attribution filled in), with the bytes it was stored as (the
// expected value of a later change).
struct stored_reminder {
  std::string id;
  std::string bytes;
  v1::Reminder value;
  // Set by a claim: when the lease it took runs out (unix ms).
  std::int64_t lease_until_ms = 0;
};

// Where a written reminder goes.
struct placement {
  // In the due set at this time; nullopt: out of it (delivered, unsubscribed, dead, …).
  std::optional<std::int64_t> due_ms;
  // Expires from Redis after this long (finished reminders); nullopt: kept.
  std::optional<std::chrono::milliseconds> keep_for;
  // Listed as a dead letter (at `dead_at_ms`).
  bool dead = false;
  std::int64_t dead_at_ms = 0;
};

// One compare-and-set: write `next` if the reminder is still `expected` (its bytes as read;
// nullopt: it must not exist yet), and place it.
struct reminder_change {
  std::string id;
  std::optional<std::string> expected;
  v1::Reminder next;
  placement where;
  // What the change adds to the reader-revenue report if it is written: one to this counter of
  // the reminder's group (campaign, component, variant of `next`) on the day of `counted_at_ms`.
  std::optional<reports::report_counter> counts = std::nullopt;
  std::int64_t counted_at_ms = 0;
  // A delivery: the reader-campaign key (security/reader_hash.hpp) whose delivery mark then
  // names this reminder for the conversion window (reports/report_counter.hpp).
  std::string delivered_to = {};
};

struct reminder_counts {
  std::int64_t pending = 0;  // in the due set
  std::int64_t overdue = 0;  // due now or earlier and not yet claimed: the backlog
  std::int64_t leased = 0;   // being delivered
  std::int64_t dead = 0;
};

class reminder_store {
 public:
  // `report` (may be null) counts for Prometheus what the scripts add to the report.
  reminder_store(redis::connection& redis, std::string_view prefix,
                 const reports::report_metrics* report = nullptr);

  awaitable<boost::system::result<std::optional<stored_reminder>>> find(std::string_view id);

  // A sign-up at `now_ms`: writes `pending` under a new id and puts it in the due set at
  // `due_ms`, and counts it in the report. False (and nothing written) when the id is taken.
  // The same work whatever else the reader has.
  awaitable<boost::system::result<bool>> add_pending(std::string_view id,
                                                     const v1::Reminder& pending,
                                                     std::int64_t due_ms, std::int64_t now_ms);

  // Applies the change (and ends any lease on the reminder). False when someone changed the
  // reminder first.
  awaitable<boost::system::result<bool>> replace(reminder_change change);
  // Several changes in one script (a delivered batch's outcomes): one round trip, one write to
  // the append-only file. Each is applied or not on its own; the answer says which.
  awaitable<boost::system::result<std::vector<bool>>> replace_all(
      std::span<const reminder_change> changes);

  // Moves up to `limit` reminders due by `now_ms` (and any whose lease expired, first) under a
  // lease until `lease_until_ms`, oldest first, and returns them.
  awaitable<boost::system::result<std::vector<stored_reminder>>> claim(std::int64_t now_ms,
                                                                       std::int64_t lease_until_ms,
                                                                       std::size_t limit);

  // Which of `claimed` are still under the lease their claim took: not once an unsubscribe, a
  // cancel, an erasure or a delivery's outcome has moved one on (each of them ends the
  // lease), nor once another scheduler has taken it over. One ZMSCORE: the look just before
  // sending.
  awaitable<boost::system::result<std::vector<bool>>> still_leased(
      std::span<const stored_reminder> claimed);

  // Send claims, one per reminder about to be sent (in order): true when it may go out (it took
  // the claim, or holds it from an earlier attempt), false when another reminder of the same
  // reader and campaign holds it. A claim lasts `window` from `now_ms` (the scheduler's clock).
  // One script for the batch.
  struct send_claim {
    std::string key;     // reader_campaign_key
    std::string holder;  // <id>:<occurrence>
  };
  awaitable<boost::system::result<std::vector<bool>>> claim_sends(
      std::span<const send_claim> claims, std::int64_t now_ms, std::chrono::milliseconds window);

  // Removes the reminder and every trace of it; false when there was none.
  awaitable<boost::system::result<bool>> remove(std::string_view id);

  // Ids of kept reminders (pending, being delivered, dead) starting with `id_prefix`, of two
  // characters or more: one bucket's HSCAN. For a reader's reminders (reminder_id.hpp).
  awaitable<boost::system::result<std::vector<std::string>>> kept_ids_starting_with(
      std::string_view id_prefix);

  // Ids starting with `id_prefix` (a reader's reminders share one: see reminder_id.hpp). Scans
  // a bucket (or, for a prefix under two characters, all of them) and the finished reminders'
  // keys, so it is for rare work such as erasure.
  awaitable<boost::system::result<std::vector<std::string>>> ids_starting_with(
      std::string_view id_prefix);

  // One step of a walk over every stored reminder (from cursor "0" until it returns "0"), as
  // stored: the shared attribution is not filled in. A reminder may come again in a later step,
  // as SCAN's keys do. For rare work such as re-sealing.
  struct record_page {
    std::string cursor;
    std::vector<stored_reminder> records;
  };
  awaitable<boost::system::result<record_page>> records_step(std::string_view cursor);

  // Puts `sealed_email` in place of the reminder's address, changing nothing else (not where it
  // is, nor its expiry) if it is still as read; false when someone changed it first.
  awaitable<boost::system::result<bool>> replace_sealed_email(const stored_reminder& read,
                                                              std::string sealed_email);

  // The oldest dead letters first.
  awaitable<boost::system::result<std::vector<stored_reminder>>> dead_letters(std::size_t limit);

  awaitable<boost::system::result<reminder_counts>> counts(std::int64_t now_ms);

  // Whether Redis keeps buckets as compact listpacks (its hash-max-listpack-value and -entries
  // at least what a pending reminder and a full bucket need); nullopt when it will not say
  // (CONFIG is refused on some managed services); an error when Redis cannot be reached.
  awaitable<boost::system::result<std::optional<bool>>> buckets_are_compact();

 private:
  // A reminder as written: its record, and the attribution kept apart from it (if any).
  struct stored_form {
    std::string record;
    std::string context_key;  // empty: the record holds everything
    std::string context;
    std::int64_t context_ttl_ms = 0;
  };
  stored_form stored_form_of(const v1::Reminder& r, const placement& where) const;
  // Fills in the shared attribution of reminders stored without it (one MGET).
  awaitable<boost::system::result<void>> attach_contexts(std::span<stored_reminder> reminders);
  awaitable<boost::system::result<std::vector<std::optional<std::string>>>> load(
      std::span<const std::string_view> ids);
  // The reminders of `ids` that exist and parse, as stored (shared attribution not filled in).
  awaitable<boost::system::result<std::vector<stored_reminder>>> load_records(
      std::span<const std::string_view> ids);
  std::string context_key(std::string_view context) const;
  // The report's arguments of a change (reminder_records.lua's `report`): day hash, its expiry,
  // field, delivery mark key, the mark, its time to live (ms); empty texts for none.
  std::array<std::string, 6> report_args(const reminder_change& c) const;

  redis::connection& redis_;
  const reports::report_metrics* report_;
  std::string prefix_;
  std::string record_prefix_;  // <prefix>rem:
  std::string due_key_;
  std::string lease_key_;
  std::string dead_key_;
};

}  // namespace supportd::reminders

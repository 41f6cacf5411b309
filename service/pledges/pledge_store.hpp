// Pledges in Redis. Every change is one Lua script: the pledge and its audit trail change
// together or not at all.
//
//   <prefix>pledge:<id>           hash: the pledge (the reader's address and name only sealed,
//                                 for their messages: pledge_reader.hpp; until the pledge
//                                 leaves `pending`, `reminder_reader` holds the reader's keyed
//                                 hash, to cancel their reminders for the campaign once it is paid)
//   <prefix>pledge:<id>:events    list: protobuf supportd.v1.PledgeEvent, oldest first
//   <prefix>reader:<reader hash>  set: the pledges that keep this reader's sealed address, for
//                                 an erasure (security/reader_hash.hpp)
//   <prefix>checkout:<session>    the pledge id of a Checkout Session, for webhooks
//   <prefix>payment:<ch_|pi_…>    the pledge id of a charge or PaymentIntent (kept 400 days)
//   <prefix>seen:<event id>       a provider event's dedupe mark (apply_provider_update)
//   <prefix>idem:pledge:<key>     hash: an Idempotency-Key's request hash and saved response
//   <prefix>stats:active          hash: currency -> active recurring pledges
//   <prefix>stats:mrr_minor       hash: currency -> their monthly recurring revenue, minor units
//   <prefix>stats:version         counter: bumped by every change to the two hashes
//   <prefix>stats:reconciled_ms   when the hashes were last rebuilt from the pledges (unix ms)
//   <prefix>report:<day>          hash: the reader-revenue report's counts of the day
//                                 (reports/report_counter.hpp), added to by the same scripts
//
// The stats hashes follow monthly_recurring_minor() (pledge_state.hpp): the scripts that create
// a pledge or change its state or fields compare its share before and after and move the hashes
// by the difference (HINCRBY) in the same script, so they never drift under concurrent inputs.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/net.hpp"
#include "pledges/pledge.hpp"
#include "pledges/pledge_state.hpp"
#include "pledges/provider_update.hpp"
#include "supportd/v1/pledge.pb.h"

namespace supportd::redis {
class connection;
class script;
struct reply;
}  // namespace supportd::redis
namespace supportd::reports {
class report_metrics;
}

namespace supportd::pledges {

// How long a reader's or an admin's request to cancel names them as the cause of the provider's
// word that the subscription ended (pledge_store::note_cancel_asked): longer than the provider's
// answer and its webhook take, short enough that a subscription the provider ends later for its
// own reasons (failed payments, after a refused request) is not put on them.
inline constexpr std::chrono::minutes cancel_asked_for{15};

struct pledge_record {
  std::string id;
  pledge_state status = pledge_state::pending;
  std::int64_t amount_minor = 0;
  std::string currency;
  interval every = interval::once;
  std::string payment_method;
  attribution source;
  std::string locale;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::string checkout_session_id;
  std::string checkout_url;
  std::string subscription_id;
  std::string manage_token_sha256;  // hex; the token itself is only ever shown to the reader
  // reminders/reminder_id.hpp's reader_hash of the pledge's address (empty when reminders are
  // off): kept until the first payment cancels the reader's reminders for the campaign, or the
  // pledge ends unpaid; then dropped.
  std::string reminder_reader;
  // pledge_reader.hpp's blobs; empty when the data keys are off, or after an erasure (a pledge
  // without an address gets no messages).
  std::string sealed_email;
  std::string sealed_name;
  std::int64_t charges_succeeded = 0;
  std::int64_t total_given_minor = 0;
  std::int64_t total_refunded_minor = 0;
  std::int64_t last_charge_at_ms = 0;
  std::int64_t next_charge_at_ms = 0;
  // Until when the reader paused collection (unix ms); 0 when never paused. A pause that ran out
  // may stay: it counts only while ahead.
  std::int64_t paused_until_ms = 0;
  std::int64_t consecutive_failures = 0;
  std::string customer_id;  // the provider's customer who pays; empty until an event names it
  std::vector<v1::PledgeEvent> events;
};

struct reservation {
  enum class outcome {
    reserved,     // this request creates the pledge
    in_progress,  // the same request is being handled right now
    replay,       // the same request was answered before: here is that answer
    conflict,     // the key was used with a different request
  };
  outcome what = outcome::reserved;
  std::string pledge_id;  // reserved, in_progress
  int status = 0;         // replay
  std::string location;   // replay: the checkout URL (for form posts)
  std::string body;       // replay
};

struct provider_update_result {
  enum class outcome { applied, duplicate, missing };
  outcome what = outcome::missing;
  std::string pledge_id;
  // Applied: the state before and after. Duplicate: both the state as read.
  pledge_state before = pledge_state::pending;
  pledge_state after = pledge_state::pending;
  // The pledge's reminder_reader and campaign as read (applied and duplicate): what a first
  // payment needs to cancel the reader's reminders (webhooks/event_processor.hpp).
  std::string reminder_reader;
  std::string campaign;
  // Applied: what the change added to the report's day hash (field, amount), for the metrics.
  std::vector<std::pair<std::string, std::int64_t>> reported;
};

// The stats hashes as read together (one script: a consistent view).
struct recurring_stats {
  recurring_totals totals;
  std::optional<std::int64_t> reconciled_at_ms;  // nullopt: never rebuilt
};

// What rebuilding the stats hashes found.
struct reconciliation {
  enum class outcome {
    replaced,       // the hashes now hold `totals`
    kept_changing,  // pledges entered or left the counts during every attempt: nothing written
  };
  outcome what = outcome::replaced;
  std::int64_t scanned = 0;  // pledges read (the last attempt's)
  recurring_totals totals;   // what the pledges add up to
  recurring_totals before;   // what the hashes held
  bool corrected = false;    // the two differed (currencies at zero aside)
  int attempts = 0;
};

struct transition_result {
  enum class outcome { applied, ignored, missing };
  outcome what = outcome::missing;
  pledge_state before = pledge_state::pending;
  pledge_state after = pledge_state::pending;
  // Applied: what the change added to the report's day hash (field, amount), for the metrics.
  std::vector<std::pair<std::string, std::int64_t>> reported = {};
};

// What a reader's change to a running recurring pledge did (pledge_changes.hpp).
struct change_result {
  enum class outcome {
    applied,    // changed, and in its history
    unchanged,  // it was so already: nothing written
    refused,    // the pledge is not active or past_due (`state`): nothing written
    missing,
  };
  outcome what = outcome::missing;
  pledge_state state = pledge_state::pending;  // the state it was in
};

class pledge_store {
 public:
  // `report` (may be null) counts for Prometheus what the scripts add to the report.
  // `renewal_notice`: how long before a yearly pledge renews its reader is told (the messages
  // apply_provider_update queues, message_plan.hpp).
  pledge_store(redis::connection& redis, std::string_view prefix,
               const reports::report_metrics* report = nullptr,
               std::chrono::days renewal_notice = std::chrono::days(14))
      : redis_(redis), prefix_(prefix), report_(report), renewal_notice_(renewal_notice) {}

  // Claims an Idempotency-Key for a request with body hash `request_hash`. A new claim lasts
  // `claim_for` (long enough for one checkout call); a finished one is kept 24 h.
  awaitable<boost::system::result<reservation>> reserve(std::string_view key,
                                                        std::string_view request_hash,
                                                        std::string_view new_pledge_id,
                                                        std::chrono::milliseconds claim_for);
  // Gives a claim up (the provider failed; nothing was created).
  awaitable<boost::system::result<void>> release(std::string_view key);

  // Creates the pledge with its first event and, with a key, saves the answer under it.
  // False when the pledge exists already (then nothing changes).
  awaitable<boost::system::result<bool>> create(const pledge_record& p, std::string_view key,
                                                int status, std::string_view response_body);

  awaitable<boost::system::result<std::optional<pledge_record>>> find(std::string_view id);

  // Applies `e` through the state table, atomically against concurrent inputs (a changed state
  // is re-read and the table asked again).
  awaitable<boost::system::result<transition_result>> apply(std::string_view id, pledge_event e,
                                                            std::string_view source,
                                                            std::string_view reference);

  // The reader's changes to a running recurring pledge, made only while it is active or
  // past_due, atomically against concurrent inputs (as `apply`), each with its history entry
  // (`source` and `reference` as there) unless it changes nothing.
  // The new amount, from which the stats hashes' MRR follows (change_amount.lua).
  awaitable<boost::system::result<change_result>> change_amount(std::string_view id,
                                                                std::int64_t amount_minor,
                                                                std::string_view source,
                                                                std::string_view reference);
  // Until when collection is paused (unix ms; 0 clears it: `resumed`), else `paused`
  // (pause_pledge.lua).
  awaitable<boost::system::result<change_result>> set_pause(std::string_view id,
                                                            std::int64_t paused_until_ms,
                                                            std::string_view source,
                                                            std::string_view reference);

  // Notes that `by` ("reader" or "admin") asks to cancel, before the provider is asked to end the
  // subscription (pledge_cancellation.hpp): the provider's word that it ended, applied within
  // cancel_asked_for of the note, is then recorded as their cancellation, with their message,
  // even when it is applied before the cancellation itself. Taken back when the provider
  // refused.
  awaitable<boost::system::result<void>> note_cancel_asked(std::string_view id,
                                                           std::string_view by);
  awaitable<boost::system::result<void>> forget_cancel_asked(std::string_view id);

  // Applies a provider's event exactly once: the state change (through the table), the
  // bookkeeping, the reader's messages it makes (message_plan.hpp; none for a pledge without a
  // sealed address) and the event's dedupe mark (kept `remember_for`) in one script.
  awaitable<boost::system::result<provider_update_result>> apply_provider_update(
      const provider_update& u, std::string_view source, std::chrono::milliseconds remember_for);

  // Which of these provider events were applied: their dedupe marks, in the same order, read in
  // one command.
  awaitable<boost::system::result<std::vector<bool>>> applied_events(
      const std::vector<std::string>& event_ids);

  // Replaces the reader's sealed address (pledge_reader.hpp) with `sealed_email`, the address
  // they paid with, and lists the pledge under that address's `reader_hash` too (an erasure
  // by either address finds it), unless the pledge keeps none (erased first): false then.
  awaitable<boost::system::result<bool>> confirm_address(std::string_view id,
                                                         std::string_view sealed_email,
                                                         std::string_view reader_hash);

  // Removes the address and name of the reader with this keyed hash (security/reader_hash.hpp)
  // from every pledge of theirs, leaving the accounting; answers how many held them. Safe to
  // repeat.
  awaitable<boost::system::result<std::int64_t>> erase_reader(std::string_view reader_hash);

  // Drops the pledge's reminder_reader (its reminders were cancelled, or it will never be paid).
  awaitable<boost::system::result<void>> forget_reminder_reader(std::string_view id);

  // The stats hashes: active recurring pledges and MRR by currency.
  awaitable<boost::system::result<recurring_stats>> stats();

  // Rebuilds the stats hashes from the pledges themselves: SCANs every pledge (in batches, so
  // Redis keeps serving), adds them up and replaces both hashes in one script, unless a pledge
  // entered or left the counts meanwhile (the version counter moved): then it starts over, up to
  // `attempts` times. For hashes damaged by hand or by an older version; never needed otherwise.
  awaitable<boost::system::result<reconciliation>> reconcile_stats(int attempts = 5);

 private:
  std::string key(std::string_view kind, std::string_view id) const;
  // The stats hashes (active pledges and MRR per currency), the counter every change to them
  // bumps, and when they were last rebuilt.
  struct stats_key_names {
    std::string active, mrr, version, reconciled;
  };
  stats_key_names stats_keys() const;
  awaitable<boost::system::result<reconciliation>> reconcile_once();
  // The script call (apply_provider_update.lua) that applies `u` to the pledge `found` names, as
  // read (`read`: HMGET status interval <fact_fields…> cancel_asked) in `state`, and what it
  // moves the pledge to and counts in the report when it is applied.
  struct provider_update_plan {
    std::vector<std::string> keys, args;
    pledge_state after = pledge_state::pending;
    std::vector<std::pair<std::string, std::int64_t>> counts;
  };
  provider_update_plan plan_provider_update(const provider_update& u, std::string_view source,
                                            std::chrono::milliseconds remember_for,
                                            const provider_update_result& found,
                                            const redis::reply& read, pledge_state state,
                                            interval every) const;
  // The pledge a provider's event is about: its own metadata's, else the one its subscription
  // or payment index names ("" when none does).
  awaitable<boost::system::result<std::string>> pledge_named_by(const provider_update& u);
  // change_amount's and set_pause's compare-and-set loop: `script` gets the pledge and its
  // events (and the stats keys, `with_stats`) as KEYS, and the state read, `value`, the history
  // entry `event` and now as ARGV.
  awaitable<boost::system::result<change_result>> change_running(
      std::string_view id, const redis::script& script, bool with_stats, std::string_view value,
      std::string_view event, std::string_view source, std::string_view reference);

  redis::connection& redis_;
  std::string_view prefix_;
  const reports::report_metrics* report_;
  std::chrono::days renewal_notice_;
};

}  // namespace supportd::pledges

// The durable queue of received provider events: a Redis Stream read by a consumer group, so
// any number of workers and replicas share the work and a crashed one's events are taken over.
//
//   <prefix>stripe:events      the stream; fields event_id, type, body, received_ms. Holds only
//                              what is not processed yet: entries are deleted as they are
//                              acknowledged, never trimmed before.
//   <prefix>stripe:attempts    hash: stream id -> failed attempts
//   <prefix>stripe:dead        hash: stream id -> JSON of the dead letter
//   <prefix>stripe:orphans     list: events about no known pledge, kept for inspection
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::webhooks {

// An event to append: what a verified webhook or the reconciliation with Stripe brings in.
struct incoming_event {
  std::string_view event_id;
  std::string_view type;
  std::string_view body;
};

struct stream_entry {
  std::string id;  // the stream's id, e.g. 1700000000000-0
  std::string event_id;
  std::string type;
  std::string body;
  std::int64_t received_ms = 0;
};

class event_stream {
 public:
  static constexpr std::string_view group = "supportd";

  event_stream(redis::connection& redis, std::string_view prefix);

  // Appends a verified event; once this answers true it is safe to acknowledge the webhook.
  // False, with nothing added, when `max_backlog` (if above 0) entries already wait: the sender
  // is to retry later. Nothing unprocessed is ever trimmed to make room.
  awaitable<boost::system::result<bool>> append(std::string_view event_id, std::string_view type,
                                                std::string_view body,
                                                std::int64_t max_backlog = 0);
  // Appends `events` in their order, all or none, in one script: a consumer reading after it
  // gets them together and in that order (up to its batch size). False, with nothing added,
  // when they would take the backlog past `max_backlog` (if above 0).
  awaitable<boost::system::result<bool>> append_all(std::span<const incoming_event> events,
                                                    std::int64_t max_backlog = 0);
  // Removes entries that every consumer group has acknowledged (XTRIM MINID below each group's
  // oldest pending or next undelivered entry); how many went. Acknowledging deletes an entry
  // already: this catches those whose deletion was lost with the connection.
  awaitable<boost::system::result<std::int64_t>> trim_acknowledged();
  // Creates the consumer group (and the stream) if needed.
  awaitable<boost::system::result<void>> ensure_group();
  // New entries for `consumer`.
  awaitable<boost::system::result<std::vector<stream_entry>>> read_new(std::string_view consumer,
                                                                       std::size_t count);
  // Entries pending longer than `idle` (a crashed consumer's, or failed ones), now `consumer`'s.
  awaitable<boost::system::result<std::vector<stream_entry>>> claim_stale(
      std::string_view consumer, std::chrono::milliseconds idle, std::size_t count);
  awaitable<boost::system::result<void>> ack(std::string_view id);
  // Acknowledges a batch in three commands.
  awaitable<boost::system::result<void>> ack(const std::vector<std::string>& ids);
  // Counts a failed attempt; the count so far.
  awaitable<boost::system::result<std::int64_t>> count_failure(std::string_view id);
  // Moves an entry to the dead letters (and acknowledges it).
  awaitable<boost::system::result<void>> dead_letter(const stream_entry& e, std::string_view error,
                                                     std::int64_t attempts);
  awaitable<boost::system::result<void>> keep_orphan(const stream_entry& e);
  // Entries received and not yet acknowledged by the group.
  awaitable<boost::system::result<std::int64_t>> backlog();
  // When the oldest entry not yet acknowledged by the group was received, in Unix ms; 0 when
  // there is none. How far behind processing is, in time rather than in entries.
  awaitable<boost::system::result<std::int64_t>> oldest_unprocessed_ms();

  // One page of the dead letters (HSCAN from `cursor`, "0" to start): their stream ids and
  // records, and the cursor of the next page ("0" after the last). A page holds about `count`
  // entries (Redis returns a small hash whole), so no answer grows with the number of them.
  struct dead_letter_page {
    std::vector<std::pair<std::string, std::string>> letters;
    std::string next_cursor;
  };
  awaitable<boost::system::result<dead_letter_page>> dead_letters(std::string_view cursor,
                                                                  std::size_t count);
  // How many there are, without reading them.
  awaitable<boost::system::result<std::int64_t>> dead_letter_count();
  // Appends a dead letter's event again and removes it from the dead letters; false if unknown.
  awaitable<boost::system::result<bool>> replay(std::string_view id);

 private:
  redis::connection& redis_;
  std::string stream_;
  std::string attempts_;
  std::string dead_;
  std::string orphans_;
};

}  // namespace supportd::webhooks

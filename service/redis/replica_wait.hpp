// Holds an acknowledgement back until Redis's replicas have the write it acknowledges
// (--redis-wait-replicas): a failover to a replica then loses no write supportd answered 201,
// 303 or 200 for.
//
// WAIT <numreplicas> <timeout-ms> (https://redis.io/commands/wait/) blocks the calling connection
// until that many replicas have acknowledged every write the connection made before it, or the
// timeout passes, and answers how many did. So the write and its WAIT must go out on the same
// connection and the same session of it: a connection made anew in between has written nothing,
// and its WAIT would prove nothing. The caller notes session() before its write; a changed
// session is "not replicated".
//
// A blocked WAIT holds up every command pipelined behind it on the connection (Redis reads no
// further commands from a blocked client). So one WAIT at a time is in flight per connection,
// and the callers whose writes completed meanwhile share the next one (a WAIT sent after a
// write's reply came covers that write). When a WAIT comes back short, the callers gathered
// behind it are answered "not replicated" at once: their writes are later still, and their
// callers learn it in one --redis-wait-timeout instead of two.
//
// Not thread-safe: one per connection, used on its thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/net.hpp"
#include "metrics/registry.hpp"

namespace supportd::redis {

class connection;

// What the waits report to Prometheus; one set shared by every worker's replica_wait.
struct replica_wait_metrics {
  metrics::family<metrics::counter>& waits;  // label: outcome
  metrics::histogram& duration;

  static replica_wait_metrics create(metrics::registry& registry);
};

class replica_wait {
 public:
  enum class outcome {
    confirmed,       // enough replicas have the write (or none are asked for)
    not_replicated,  // fewer in time, or the connection was made anew since the write
    unavailable,     // WAIT itself failed: Redis did not answer, or answered an error
  };

  struct options {
    // 0: acknowledge at once, without WAIT.
    int replicas = 0;
    std::chrono::milliseconds timeout{1000};
    // The deadline of the WAIT command is the timeout plus this (the reply's way back).
    std::chrono::milliseconds reply_margin{2000};
    // Written by confirm_read() so that the connection has a write to wait for.
    std::string fence_key = "supportd:replication:fence";
  };

  replica_wait(connection& redis, options opts, replica_wait_metrics* stats);
  ~replica_wait();
  replica_wait(const replica_wait&) = delete;
  replica_wait& operator=(const replica_wait&) = delete;

  bool enabled() const { return options_.replicas > 0; }

  // Taken before the write (or read) whose acknowledgement will wait.
  std::uint64_t session() const;

  // After a write of this connection that succeeded: whether enough replicas have it.
  awaitable<outcome> confirm(std::uint64_t session);

  // After reading what some other connection wrote (an answer saved under an Idempotency-Key,
  // about to be replayed): whether enough replicas have everything Redis held when it was read.
  // A small write of this connection's own (`fence_key`) gives WAIT something to wait for (since
  // Redis 7.2 a read no longer moves the offset a connection's WAIT waits for): the replicas
  // apply the primary's writes in order, so theirs confirming it confirms the rest.
  awaitable<outcome> confirm_read(std::uint64_t session);

 private:
  struct round;

  awaitable<outcome> settle(std::uint64_t session);
  awaitable<void> send(std::shared_ptr<round> r);
  void count(outcome o, std::chrono::steady_clock::time_point started);

  connection& redis_;
  options options_;
  replica_wait_metrics* stats_;
  // Callers waiting for the next WAIT, not sent yet; null when none.
  std::shared_ptr<round> gathering_;
  bool in_flight_ = false;
};

}  // namespace supportd::redis

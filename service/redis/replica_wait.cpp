#include "redis/replica_wait.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string_view>
#include <utility>

#include "core/use_tuple.hpp"
#include "log/logger.hpp"
#include "redis/connection.hpp"

namespace supportd::redis {

namespace {

std::string_view label(replica_wait::outcome o) {
  switch (o) {
    case replica_wait::outcome::confirmed:
      return "confirmed";
    case replica_wait::outcome::not_replicated:
      return "not_replicated";
    case replica_wait::outcome::unavailable:
      return "unavailable";
  }
  return "unavailable";
}

}  // namespace

replica_wait_metrics replica_wait_metrics::create(metrics::registry& registry) {
  auto& waits = registry.add_counter(
      "supportd_redis_replica_waits_total",
      "Acknowledgements held back until Redis replicas confirmed the write (WAIT), by outcome: "
      "confirmed, not_replicated (answered 503), unavailable (WAIT failed; answered 503).",
      {"outcome"});
  for (auto o : {replica_wait::outcome::confirmed, replica_wait::outcome::not_replicated,
                 replica_wait::outcome::unavailable}) {
    waits.with({label(o)});
  }
  auto& duration = registry.add_histogram(
      "supportd_redis_replica_wait_duration_seconds",
      "How long an acknowledgement waited for Redis replicas to confirm its write.", {},
      metrics::latency_buckets());
  return {waits, duration.with({})};
}

// The callers one WAIT answers: those whose writes had completed before it was sent.
struct replica_wait::round {
  explicit round(const net::any_io_executor& executor)
      : woken(executor, net::steady_timer::time_point::max()) {}

  // Never expires: cancelled to wake the callers waiting on it.
  net::steady_timer woken;
  bool done = false;
  outcome result = outcome::unavailable;
  // The connection's session the WAIT went out on.
  std::uint64_t sent_on = 0;
};

replica_wait::replica_wait(connection& redis, options opts, replica_wait_metrics* stats)
    : redis_(redis), options_(std::move(opts)), stats_(stats) {}

replica_wait::~replica_wait() = default;

std::uint64_t replica_wait::session() const {
  return redis_.generation();
}

awaitable<replica_wait::outcome> replica_wait::confirm(std::uint64_t session) {
  if (!enabled()) {
    co_return outcome::confirmed;
  }
  const auto started = std::chrono::steady_clock::now();
  auto result = co_await settle(session);
  count(result, started);
  co_return result;
}

awaitable<replica_wait::outcome> replica_wait::confirm_read(std::uint64_t session) {
  if (!enabled()) {
    co_return outcome::confirmed;
  }
  const auto started = std::chrono::steady_clock::now();
  // Expires on its own: it only has to be written.
  std::string_view fence[] = {"SET", options_.fence_key, "1", "PX", "60000"};
  auto written = co_await redis_.command(fence);
  auto result = outcome::unavailable;
  if (written && !written->is_error()) {
    result = co_await settle(session);
  }
  count(result, started);
  co_return result;
}

awaitable<replica_wait::outcome> replica_wait::settle(std::uint64_t session) {
  // The write went out on an earlier session: this session's WAIT would not cover it.
  if (redis_.generation() != session) {
    co_return outcome::not_replicated;
  }
  if (!gathering_) {
    gathering_ = std::make_shared<round>(co_await net::this_coro::executor);
  }
  auto mine = gathering_;
  while (!mine->done) {
    if (!in_flight_) {
      // No WAIT on the wire: this caller sends one for everyone gathered so far.
      co_await send(std::exchange(gathering_, nullptr));
    } else {
      co_await mine->woken.async_wait(use_tuple);
    }
  }
  if (mine->result == outcome::confirmed && mine->sent_on != session) {
    co_return outcome::not_replicated;
  }
  co_return mine->result;
}

awaitable<void> replica_wait::send(std::shared_ptr<round> r) {
  in_flight_ = true;
  r->sent_on = redis_.generation();
  const auto replicas = std::to_string(options_.replicas);
  const auto timeout_ms = std::to_string(options_.timeout.count());
  std::string_view wait[] = {"WAIT", replicas, timeout_ms};
  auto reply = co_await redis_.command(wait, options_.timeout + options_.reply_margin);
  if (!reply) {
    r->result = outcome::unavailable;
  } else if (reply->is_error()) {
    // An ACL without WAIT, or a replica rather than the primary: nothing can be confirmed.
    log::warn("redis refused WAIT", {{"error", reply->text}});
    r->result = outcome::unavailable;
  } else if (auto acknowledged = as_integer(*reply); !acknowledged) {
    r->result = outcome::unavailable;
  } else if (redis_.generation() != r->sent_on) {
    // Answered on a later session than it went out on (a transport that sends again after
    // reconnecting): it counts that session's writes, not the ones gathered here.
    r->result = outcome::not_replicated;
  } else {
    r->result = *acknowledged >= options_.replicas ? outcome::confirmed : outcome::not_replicated;
  }
  r->done = true;
  in_flight_ = false;
  r->woken.cancel();
  if (gathering_) {
    if (r->result == outcome::confirmed) {
      // One of those gathered meanwhile sends the next WAIT.
      gathering_->woken.cancel();
    } else {
      // Their writes came later than the ones that just fell short: answered now, rather than
      // after a WAIT of their own that would most likely time out too.
      auto next = std::exchange(gathering_, nullptr);
      next->result = r->result;
      next->done = true;
      next->woken.cancel();
    }
  }
}

void replica_wait::count(outcome o, std::chrono::steady_clock::time_point started) {
  if (stats_ == nullptr) {
    return;
  }
  stats_->waits.with({label(o)}).inc();
  std::chrono::duration<double> waited = std::chrono::steady_clock::now() - started;
  stats_->duration.observe(waited.count());
}

}  // namespace supportd::redis

#include "notify/outbox_sender.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <vector>

#include "core/clock.hpp"
#include "core/pause.hpp"
#include "log/logger.hpp"
#include "notify/retry_schedule.hpp"

namespace supportd::notify {

outbox_sender::outbox_sender(outbox_store& store, message_renderer& renderer, event_sender& sender,
                             outbox_options options)
    : store_(store), renderer_(renderer), sender_(sender), options_(std::move(options)) {
  if (!options_.now_ms) {
    options_.now_ms = core::now_unix_ms;
  }
}

awaitable<void> outbox_sender::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    // A round that throws (a bug) costs that round: its messages' leases run out and they are
    // claimed again.
    std::optional<std::size_t> delivered;
    bool threw = false;
    try {
      delivered = co_await round();
    } catch (const std::exception& e) {
      log::error("outbound message round failed", {{"error", e.what()}});
      threw = true;
    }
    if (threw || !delivered) {
      co_await pause(std::chrono::seconds(1));
    } else if (*delivered == 0) {
      co_await pause(options_.idle_poll);
    }
  }
}

awaitable<std::optional<std::size_t>> outbox_sender::round() {
  const auto now = options_.now_ms();
  co_await refresh_gauges(now);
  auto batch = co_await store_.claim(now, now + options_.lease.count(), options_.batch);
  if (!batch) {
    co_return std::nullopt;
  }
  if (batch->empty()) {
    co_return 0;
  }
  // All at once; the last to finish wakes the round, which records every outcome in one script.
  std::vector<message_outcome> outcomes(batch->size());
  auto executor = co_await net::this_coro::executor;
  auto join = std::make_shared<batch_join>(executor, batch->size());
  for (std::size_t i = 0; i < batch->size(); ++i) {
    net::co_spawn(executor, deliver_one((*batch)[i], outcomes[i], join), net::detached);
  }
  co_await join->wait();
  std::size_t delivered = 0;
  std::int64_t failed = 0;
  const std::string* last_error = nullptr;
  for (const auto& o : outcomes) {
    if (o.what == message_outcome::kind::done && o.error.empty()) {
      ++delivered;
    } else if (!o.error.empty()) {
      ++failed;
      last_error = &o.error;
    }
  }
  // One line per batch, not per message: an email service that is down fails them all.
  if (failed > 0) {
    log::warn("outbound message deliveries failed",
              {{"failed", failed},
               {"of", static_cast<std::int64_t>(outcomes.size())},
               {"error", *last_error}});
  }
  if (!co_await store_.settle(outcomes, options_.now_ms())) {
    co_return std::nullopt;  // the leases run out and the batch is claimed again
  }
  co_return delivered;
}

awaitable<void> outbox_sender::deliver_one(const claimed_message& m, message_outcome& out,
                                           std::shared_ptr<batch_join> join) {
  batch_join::member member(std::move(join));
  out.id = m.id;
  out.lease_until_ms = m.lease_until_ms;
  delivery_outcome sent;
  sent.what = delivery_outcome::kind::failed;
  try {
    auto rendered = co_await renderer_.render(m, options_.now_ms());
    if (!rendered) {
      sent.error = "could not read what the message is about";
    } else if (!*rendered) {
      // Nothing to send any more (the reader was erased): finished unsent, no error.
      out.what = message_outcome::kind::done;
      out.error = "";
      count("skipped");
      co_return;
    } else {
      sent = co_await sender_.send(**rendered);
    }
  } catch (const std::exception& e) {
    // A bug, not the receiver's answer: retried on the schedule as after a network error.
    log::error("outbound message delivery threw", {{"message", m.id}, {"error", e.what()}});
    sent = {};
    sent.error = "internal error";
  }
  out = outcome_of(m, sent, options_.now_ms());
  if (out.what == message_outcome::kind::done) {
    count("delivered");
  } else if (out.what == message_outcome::kind::retry) {
    count("failed");
  } else {
    count(sent.what == delivery_outcome::kind::gone ? "gone" : "dead");
  }
}

void outbox_sender::count(std::string_view outcome) const {
  if (options_.metrics != nullptr) {
    options_.metrics->deliveries.with({outcome}).inc();
  }
}

awaitable<void> outbox_sender::refresh_gauges(std::int64_t now_ms) {
  if (options_.metrics == nullptr || now_ms - gauges_refreshed_ms_ < 1000) {
    co_return;
  }
  gauges_refreshed_ms_ = now_ms;
  if (auto counts = co_await store_.counts(now_ms)) {
    options_.metrics->queued.set(counts->queued);
    options_.metrics->backlog.set(counts->due);
    options_.metrics->in_flight.set(counts->sending);
    options_.metrics->dead_letters.set(counts->dead);
  }
}

message_outcome outbox_sender::outcome_of(const claimed_message& m, const delivery_outcome& sent,
                                          std::int64_t now_ms) const {
  message_outcome out;
  out.id = m.id;
  out.lease_until_ms = m.lease_until_ms;
  out.failed_attempts = m.failed_attempts;
  switch (sent.what) {
    case delivery_outcome::kind::delivered:
      out.what = message_outcome::kind::done;
      return out;
    case delivery_outcome::kind::gone:
      log::error(
          "the email service answered 410 Gone: messages are dead-lettered until the notify URL "
          "is fixed",
          {{"message", m.id}});
      out.what = message_outcome::kind::dead;
      out.failed_attempts = m.failed_attempts + 1;
      out.error = sent.error.empty() ? "410 Gone" : sent.error;
      return out;
    case delivery_outcome::kind::failed:
      break;
  }
  out.failed_attempts = m.failed_attempts + 1;
  out.error = sent.error.empty() ? "delivery failed" : sent.error;
  if (auto wait = retry_delay(out.failed_attempts, sent.retry_after)) {
    out.what = message_outcome::kind::retry;
    out.when_ms = now_ms + std::chrono::milliseconds(*wait).count();
  } else {
    out.what = message_outcome::kind::dead;
  }
  return out;
}

}  // namespace supportd::notify

#include "reminders/reminder_scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log/logger.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_message.hpp"
#include "reminders/reminder_metrics.hpp"
#include "reminders/reminder_sender.hpp"
#include "reminders/schedule.hpp"
#include "reminders/time_zone.hpp"
#include "security/data_keys.hpp"

namespace supportd::reminders {
namespace {

using boost::system::result;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

awaitable<void> pause(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(use_tuple);
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The next occurrence of a recurring reminder strictly after `now_unix` (after an outage,
// occurrences missed meanwhile are skipped, not sent in a burst).
std::int64_t next_occurrence(const v1::Reminder& r, std::int64_t now_unix) {
  auto zone = time_zone::find(r.time_zone().empty() ? "UTC" : r.time_zone());
  if (!zone) {
    zone = time_zone::find("UTC");
  }
  auto due = r.due_at_unix();
  do {
    due = add_months_local(due, static_cast<int>(r.every_months()), *zone);
  } while (due <= now_unix);
  return due;
}

}  // namespace

reminder_scheduler::reminder_scheduler(reminder_store& store, const reminder_book& book,
                                       reminder_sender& sender, reminder_metrics* metrics,
                                       scheduler_options options)
    : store_(store), book_(book), sender_(sender), metrics_(metrics), options_(std::move(options)) {
  if (!options_.now_ms) {
    options_.now_ms = system_now_ms;
  }
}

awaitable<void> reminder_scheduler::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    co_await refresh_gauges(options_.now_ms());
    auto batch = co_await claim();
    if (!batch) {
      co_await pause(std::chrono::seconds(1));  // Redis is down: try again shortly
      continue;
    }
    if (batch->empty()) {
      co_await pause(options_.idle_poll);
      continue;
    }
    co_await deliver(std::move(*batch));
  }
}

awaitable<result<std::vector<stored_reminder>>> reminder_scheduler::claim() {
  auto now = options_.now_ms();
  co_return co_await store_.claim(now, now + options_.lease.count(), options_.batch);
}

awaitable<std::size_t> reminder_scheduler::deliver(std::vector<stored_reminder> batch) {
  // The last look before sending: whatever changed since the claim (an unsubscribe, a new
  // sign-up, an erasure) is not sent; its writer has already placed it where it belongs.
  auto now_bytes = co_await store_.current(batch);
  if (!now_bytes) {
    co_return 0;  // the leases run out and the batch is claimed again
  }
  std::vector<const stored_reminder*> to_send;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if ((*now_bytes)[i] == std::optional<std::string>(batch[i].bytes)) {
      to_send.push_back(&batch[i]);
    } else if (metrics_ != nullptr) {
      metrics_->skipped.with({"changed"}).inc();
    }
  }
  if (to_send.empty()) {
    co_return 0;
  }

  // All at once; the last to finish wakes this round.
  auto executor = co_await net::this_coro::executor;
  net::steady_timer finished(executor, net::steady_timer::time_point::max());
  std::size_t remaining = to_send.size();
  std::size_t delivered = 0;
  for (const auto* r : to_send) {
    net::co_spawn(executor, deliver_in_batch(*r, delivered, remaining, finished), net::detached);
  }
  co_await finished.async_wait(use_tuple);
  co_return delivered;
}

awaitable<void> reminder_scheduler::deliver_in_batch(const stored_reminder& r,
                                                     std::size_t& delivered, std::size_t& remaining,
                                                     net::steady_timer& finished) {
  // Awaited in a statement of its own: g++ 12 miscompiled `if (co_await deliver_one(r))` as
  // this coroutine's first statement (the frame trapped on its first resumption).
  const bool sent = co_await deliver_one(r);
  if (sent) {
    ++delivered;
  }
  if (--remaining == 0) {
    finished.cancel();
  }
  co_return;
}

awaitable<bool> reminder_scheduler::deliver_one(const stored_reminder& r) {
  auto now_ms = options_.now_ms();
  auto now_unix = now_ms / 1000;
  const auto& value = r.value;
  auto email = book_.keys().open(value.sealed_email(), r.id);
  if (value.status() != v1::Reminder::PENDING || !email) {
    // Not deliverable (a record from a retired key, or damaged): an operator must look.
    delivery_outcome broken;
    broken.error = email ? "not pending" : "the sealed address does not open with any key";
    if (value.status() == v1::Reminder::PENDING) {
      v1::Reminder dead = value;
      dead.set_status(v1::Reminder::DEAD);
      dead.set_last_error(broken.error);
      placement where;
      where.dead = true;
      where.dead_at_ms = now_ms;
      co_await store_.replace(r.id, r.bytes, dead, where);
    }
    log::warn("reminder not deliverable", {{"reminder", r.id}, {"error", broken.error}});
    co_return false;
  }
  if (metrics_ != nullptr && value.failed_attempts() == 0) {
    metrics_->lateness.observe(
        std::max<double>(0, static_cast<double>(now_ms - value.due_at_unix() * 1000) / 1000));
  }
  message_links links{
      give_url(options_.give_url, value),
      unsubscribe_url(options_.public_url, r.id, book_.unsubscribe_token(r.id, now_unix))};
  delivery d{webhook_id(r.id, value), now_unix, message_body(r.id, value, *email, links, now_unix)};
  auto outcome = co_await sender_.send(d);
  co_await record(r, outcome, options_.now_ms());
  co_return outcome.what == delivery_outcome::kind::delivered;
}

awaitable<void> reminder_scheduler::record(const stored_reminder& r,
                                           const delivery_outcome& outcome, std::int64_t now_ms) {
  auto now_unix = now_ms / 1000;
  const auto& value = r.value;
  v1::Reminder next;
  placement where;
  std::string_view counted;
  switch (outcome.what) {
    case delivery_outcome::kind::delivered:
      counted = "delivered";
      if (value.every_months() > 0) {
        next = value;
        next.set_occurrence(value.occurrence() + 1);
        next.set_due_at_unix(next_occurrence(value, now_unix));
        next.set_failed_attempts(0);
        next.clear_last_error();
        where.due_ms = next.due_at_unix() * 1000;
      } else {
        next = finished(value, v1::Reminder::DELIVERED, now_unix);
        where.keep_for = book_.retention();
      }
      break;
    case delivery_outcome::kind::failed: {
      next = value;
      auto failures = static_cast<int>(value.failed_attempts()) + 1;
      next.set_failed_attempts(static_cast<std::uint32_t>(failures));
      next.set_last_error(outcome.error);
      if (auto wait = retry_delay(failures, outcome.retry_after)) {
        counted = "failed";
        where.due_ms = now_ms + std::chrono::milliseconds(*wait).count();
      } else {
        counted = "dead";
        next.set_status(v1::Reminder::DEAD);
        where.dead = true;
        where.dead_at_ms = now_ms;
      }
      break;
    }
    case delivery_outcome::kind::gone:
      counted = "gone";
      next = value;
      next.set_status(v1::Reminder::DEAD);
      next.set_last_error(outcome.error);
      where.dead = true;
      where.dead_at_ms = now_ms;
      log::error(
          "the email service answered 410 Gone: reminders are dead-lettered until the "
          "notify URL is fixed",
          {{"reminder", r.id}});
      break;
  }
  next.set_updated_at_unix(now_unix);
  if (metrics_ != nullptr) {
    metrics_->deliveries.with({counted}).inc();
  }
  // Losing this race is fine: whoever changed the reminder since the claim decided its fate.
  co_await store_.replace(r.id, r.bytes, next, where);
}

awaitable<void> reminder_scheduler::refresh_gauges(std::int64_t now_ms) {
  if (metrics_ == nullptr || now_ms - gauges_refreshed_ms_ < 1000) {
    co_return;
  }
  gauges_refreshed_ms_ = now_ms;
  if (auto counts = co_await store_.counts(now_ms)) {
    metrics_->pending.set(counts->pending);
    metrics_->backlog.set(counts->overdue);
    metrics_->in_flight.set(counts->leased);
    metrics_->dead_letters.set(counts->dead);
  }
}

}  // namespace supportd::reminders

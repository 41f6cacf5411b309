#include "reminders/reminder_scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "core/clock.hpp"
#include "core/pause.hpp"
#include "log/logger.hpp"
#include "notify/event_sender.hpp"
#include "notify/retry_schedule.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_id.hpp"
#include "reminders/reminder_message.hpp"
#include "reminders/reminder_metrics.hpp"
#include "reminders/schedule.hpp"
#include "reminders/time_zone.hpp"
#include "security/data_keys.hpp"

namespace supportd::reminders {
namespace {

using boost::system::result;

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

// The reminder as a dead letter: kept with its address, for an operator to replay.
reminder_change dead_letter(const stored_reminder& r, std::string_view error, std::int64_t now_ms) {
  reminder_change change{r.id, r.bytes, r.value, {}};
  change.next.set_status(v1::Reminder::DEAD);
  change.next.set_last_error(std::string(error));
  change.next.set_updated_at_unix(now_ms / 1000);
  change.where.dead = true;
  change.where.dead_at_ms = now_ms;
  return change;
}

}  // namespace

reminder_scheduler::reminder_scheduler(reminder_store& store, const reminder_book& book,
                                       notify::event_sender& sender, reminder_metrics* metrics,
                                       scheduler_options options)
    : store_(store),
      book_(book),
      sender_(sender),
      metrics_(metrics),
      options_(std::move(options)),
      give_link_(options_.give_url) {
  if (!options_.now_ms) {
    options_.now_ms = core::now_unix_ms;
  }
}

awaitable<void> reminder_scheduler::run(const std::atomic<bool>& stop) {
  // Lanes overlap: while one waits for its batch's slowest delivery, another claims and sends.
  auto executor = co_await net::this_coro::executor;
  for (std::size_t lane = 1; lane < options_.lanes; ++lane) {
    net::co_spawn(executor, run_lane(stop, false), net::detached);
  }
  co_await run_lane(stop, options_.reports_gauges);
}

awaitable<void> reminder_scheduler::run_lane(const std::atomic<bool>& stop, bool reports) {
  bool settings_checked = !reports;
  while (!stop.load(std::memory_order_relaxed)) {
    // A round that throws (a bug) costs that round, not the lane: its reminders' leases run out
    // and they are claimed again.
    bool threw = false;
    try {
      co_await run_round(reports, settings_checked);
    } catch (const std::exception& e) {
      log::error("reminder round failed", {{"error", e.what()}});
      threw = true;
    } catch (...) {
      log::error("reminder round failed", {{"error", "not a std::exception"}});
      threw = true;
    }
    if (threw) {
      co_await pause(std::chrono::seconds(1));
    }
  }
}

awaitable<void> reminder_scheduler::run_round(bool reports, bool& settings_checked) {
  if (reports) {
    co_await refresh_gauges(options_.now_ms());
  }
  if (!settings_checked) {
    // Once Redis answers: a Redis with its default limits works, in bigger buckets.
    const auto compact = co_await store_.buckets_are_compact();
    settings_checked = static_cast<bool>(compact);
    if (compact && *compact == false) {
      log::warn(
          "Redis keeps reminder buckets uncompacted: set hash-max-listpack-value 128 and "
          "hash-max-listpack-entries 512 (README, Redis); pending reminders take ~300 bytes "
          "each instead of ~260",
          {});
    }
  }
  auto batch = co_await claim();
  if (!batch) {
    co_await pause(std::chrono::seconds(1));  // Redis is down: try again shortly
    co_return;
  }
  if (batch->empty()) {
    co_await pause(options_.idle_poll);
    co_return;
  }
  co_await deliver(std::move(*batch));
}

awaitable<result<std::vector<stored_reminder>>> reminder_scheduler::claim() {
  auto now = options_.now_ms();
  co_return co_await store_.claim(now, now + options_.lease.count(), options_.batch);
}

awaitable<std::size_t> reminder_scheduler::deliver(std::vector<stored_reminder> batch) {
  // The last look before sending: whatever changed since the claim (an unsubscribe, a paid
  // pledge, an erasure) is not sent; its writer has already placed it where it belongs, and
  // ended the lease.
  auto leased = co_await store_.still_leased(batch);
  if (!leased) {
    co_return 0;  // the leases run out and the batch is claimed again
  }
  std::vector<const stored_reminder*> to_send;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if ((*leased)[i]) {
      to_send.push_back(&batch[i]);
    } else if (metrics_ != nullptr) {
      metrics_->skipped.with({"changed"}).inc();
    }
  }
  if (to_send.empty()) {
    co_return 0;
  }

  // The send claims: one reminder per reader and campaign within the window. Reminders whose
  // address does not open take none; deliver_one dead-letters them.
  std::vector<reminder_change> changes;
  changes.reserve(to_send.size());
  {
    std::vector<reminder_store::send_claim> claims;
    std::vector<std::size_t> claimed_at;  // index in to_send of each claim
    for (std::size_t i = 0; i < to_send.size(); ++i) {
      const auto& r = *to_send[i];
      if (r.value.status() != v1::Reminder::PENDING) {
        continue;
      }
      if (auto email = book_.keys().open(r.value.sealed_email(), r.id)) {
        claims.push_back(
            {reader_campaign_key(reader_hash(book_.keys(), *email), r.value.campaign()),
             r.id + ":" + std::to_string(r.value.occurrence())});
        claimed_at.push_back(i);
      }
    }
    const auto now_ms = options_.now_ms();
    auto may_send = co_await store_.claim_sends(claims, now_ms, options_.send_window);
    if (!may_send) {
      co_return 0;  // the leases run out and the batch is claimed again
    }
    std::vector<bool> drop(to_send.size(), false);
    for (std::size_t c = 0; c < claims.size(); ++c) {
      if (!(*may_send)[c]) {
        drop[claimed_at[c]] = true;
        changes.push_back(duplicate_of(*to_send[claimed_at[c]], now_ms));
        if (metrics_ != nullptr) {
          metrics_->skipped.with({"duplicate"}).inc();
        }
      }
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < to_send.size(); ++i) {
      if (!drop[i]) {
        to_send[kept++] = to_send[i];
      }
    }
    to_send.resize(kept);
  }
  if (to_send.empty()) {
    co_await store_.replace_all(changes);
    co_return 0;
  }

  // All at once; the last to finish wakes this round, which then writes every outcome in one
  // script. A change that lost to a concurrent writer (an unsubscribe that came during the send)
  // is dropped: whoever changed the reminder decided its fate.
  auto executor = co_await net::this_coro::executor;
  auto join = std::make_shared<batch_join>(executor, to_send.size());
  std::size_t delivered = 0;
  for (const auto* r : to_send) {
    net::co_spawn(executor, deliver_in_batch(*r, changes, delivered, join), net::detached);
  }
  co_await join->wait();
  co_await store_.replace_all(changes);
  // One line per batch, not per reminder: an email service that is down fails them all.
  std::int64_t failed = 0;
  const std::string* last_error = nullptr;
  for (const auto& c : changes) {
    if (!c.next.last_error().empty()) {
      ++failed;
      last_error = &c.next.last_error();
    }
  }
  if (failed > 0) {
    log::warn("reminder deliveries failed", {{"failed", failed},
                                             {"of", static_cast<std::int64_t>(changes.size())},
                                             {"error", *last_error}});
  }
  co_return delivered;
}

awaitable<void> reminder_scheduler::deliver_in_batch(const stored_reminder& r,
                                                     std::vector<reminder_change>& changes,
                                                     std::size_t& delivered,
                                                     std::shared_ptr<batch_join> join) {
  batch_join::member member(std::move(join));
  std::optional<attempt> change;
  try {
    // Awaited in a statement of its own: g++ 12 miscompiled `if (co_await …)` as a coroutine's
    // first statement here (the frame trapped on its first resumption).
    change = co_await deliver_one(r);
  } catch (const std::exception& e) {
    log::error("reminder delivery threw; retried as a failed attempt",
               {{"reminder", r.id}, {"error", e.what()}});
  } catch (...) {
    log::error("reminder delivery threw; retried as a failed attempt", {{"reminder", r.id}});
  }
  if (!change) {
    // A bug, not the receiver's answer: the reminder fails this attempt and is retried on the
    // schedule as after a network error, instead of waiting for its lease to run out.
    notify::delivery_outcome failed;
    failed.what = notify::delivery_outcome::kind::failed;
    failed.error = "internal error";
    change = attempt{outcome_of(r, failed, options_.now_ms()), false};
  }
  if (change->delivered) {
    ++delivered;
  }
  changes.push_back(std::move(change->change));
  co_return;
}

awaitable<reminder_scheduler::attempt> reminder_scheduler::deliver_one(const stored_reminder& r) {
  auto now_ms = options_.now_ms();
  auto now_unix = now_ms / 1000;
  const auto& value = r.value;
  auto email = book_.keys().open(value.sealed_email(), r.id);
  if (value.status() != v1::Reminder::PENDING || !email) {
    // Not deliverable (sealed under a retired key, or damaged): an operator must look.
    std::string_view why = email ? "not pending" : "the sealed address does not open with any key";
    log::warn("reminder not deliverable", {{"reminder", r.id}, {"error", why}});
    if (metrics_ != nullptr) {
      metrics_->deliveries.with({"dead"}).inc();
    }
    co_return attempt{dead_letter(r, why, now_ms), false};
  }
  if (metrics_ != nullptr && value.failed_attempts() == 0) {
    metrics_->lateness.observe(
        std::max<double>(0, static_cast<double>(now_ms - value.due_at_unix() * 1000) / 1000));
  }
  message_links links{give_link_(value), unsubscribe_url(options_.public_url, r.id,
                                                         book_.unsubscribe_token(r.id, now_unix))};
  notify::delivery d{webhook_id(r.id, value), now_unix,
                     message_body(r.id, value, *email, links, now_unix)};
  auto outcome = co_await sender_.send(d);
  if (outcome.what == notify::delivery_outcome::kind::gone) {
    log::error(
        "the email service answered 410 Gone: reminders are dead-lettered until the notify URL "
        "is fixed",
        {{"reminder", r.id}});
  }
  co_return attempt{outcome_of(r, outcome, options_.now_ms()),
                    outcome.what == notify::delivery_outcome::kind::delivered};
}

reminder_change reminder_scheduler::outcome_of(const stored_reminder& r,
                                               const notify::delivery_outcome& outcome,
                                               std::int64_t now_ms) {
  auto now_unix = now_ms / 1000;
  const auto& value = r.value;
  reminder_change change{r.id, r.bytes, {}, {}};
  auto& next = change.next;
  auto& where = change.where;
  std::string_view counted;
  switch (outcome.what) {
    case notify::delivery_outcome::kind::delivered:
      counted = "delivered";
      // Counted in the report, and remembered for the reader and campaign: their first payment
      // for it within the conversion window is this reminder's conversion.
      change.counts = reports::report_counter::reminders_delivered;
      change.counted_at_ms = now_ms;
      if (auto email = book_.keys().open(value.sealed_email(), r.id)) {
        change.delivered_to =
            reader_campaign_key(reader_hash(book_.keys(), *email), value.campaign());
      }
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
    case notify::delivery_outcome::kind::failed: {
      next = value;
      auto failures = static_cast<int>(value.failed_attempts()) + 1;
      next.set_failed_attempts(static_cast<std::uint32_t>(failures));
      next.set_last_error(outcome.error);
      if (auto wait = notify::retry_delay(failures, outcome.retry_after)) {
        counted = "failed";
        where.due_ms = now_ms + std::chrono::milliseconds(*wait).count();
      } else {
        counted = "dead";
        change = dead_letter(r, outcome.error, now_ms);
        change.next.set_failed_attempts(static_cast<std::uint32_t>(failures));
      }
      break;
    }
    case notify::delivery_outcome::kind::gone:
      counted = "gone";
      change = dead_letter(r, outcome.error, now_ms);
      break;
  }
  next.set_updated_at_unix(now_unix);
  if (metrics_ != nullptr) {
    metrics_->deliveries.with({counted}).inc();
  }
  return change;
}

reminder_change reminder_scheduler::duplicate_of(const stored_reminder& r,
                                                 std::int64_t now_ms) const {
  const auto now_unix = now_ms / 1000;
  const auto& value = r.value;
  reminder_change change{r.id, r.bytes, {}, {}};
  if (value.every_months() > 0) {
    change.next = value;
    change.next.set_occurrence(value.occurrence() + 1);
    change.next.set_due_at_unix(next_occurrence(value, now_unix));
    change.next.set_failed_attempts(0);
    change.next.clear_last_error();
    change.where.due_ms = change.next.due_at_unix() * 1000;
  } else {
    change.next = finished(value, v1::Reminder::DUPLICATE, now_unix);
    change.where.keep_for = book_.retention();
  }
  change.next.set_updated_at_unix(now_unix);
  return change;
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

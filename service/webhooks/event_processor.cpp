#include "webhooks/event_processor.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/clock.hpp"
#include "core/pause.hpp"
#include "http/field_checks.hpp"
#include "log/logger.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_reader.hpp"
#include "security/reader_hash.hpp"
#include "webhooks/stripe_event.hpp"
#include "webhooks/webhook_metrics.hpp"

namespace supportd::webhooks {

event_processor::event_processor(redis::connection& redis, std::string_view prefix,
                                 webhook_metrics& metrics, pledges::pledge_metrics& pledge_stats,
                                 std::string consumer, processor_options options,
                                 reader_gave on_reader_gave)
    : stream_(redis, prefix),
      metrics_(metrics),
      pledge_stats_(pledge_stats),
      consumer_(std::move(consumer)),
      options_(options),
      on_reader_gave_(std::move(on_reader_gave)),
      pledges_(redis, prefix, pledge_stats.report, options.renewal_notice) {}

awaitable<void> event_processor::run(const std::atomic<bool>& stop) {
  loop_state state;
  state.last_claim = std::chrono::steady_clock::now();
  state.last_backlog = state.last_claim;
  while (!stop.load(std::memory_order_relaxed)) {
    // A batch that throws (a bug) costs that batch, not the consumer: its entries stay pending
    // and are taken again after retry_after.
    bool threw = false;
    try {
      co_await run_batch(state);
    } catch (const std::exception& e) {
      log::error("webhook batch failed", {{"error", e.what()}});
      threw = true;
    } catch (...) {
      log::error("webhook batch failed", {{"error", "not a std::exception"}});
      threw = true;
    }
    if (threw) {
      co_await pause(std::chrono::seconds(1));
    }
  }
}

awaitable<void> event_processor::run_batch(loop_state& state) {
  if (!state.group_ready) {
    state.group_ready = static_cast<bool>(co_await stream_.ensure_group());
    if (!state.group_ready) {
      co_await pause(std::chrono::seconds(1));  // Redis is down: try again shortly
      co_return;
    }
  }
  auto batch = co_await stream_.read_new(consumer_, options_.batch);
  const auto now = std::chrono::steady_clock::now();
  // Failed and orphaned-by-crash entries are taken on their own schedule, so a steady flow
  // of new events cannot starve them.
  if (batch && now - state.last_claim > options_.retry_after / 4) {
    state.last_claim = now;
    auto stale = co_await stream_.claim_stale(consumer_, options_.retry_after, options_.batch);
    if (stale) {
      batch->insert(batch->end(), stale->begin(), stale->end());
    }
  }
  if (now - state.last_backlog > std::chrono::seconds(1)) {
    state.last_backlog = now;
    // A safety net: acknowledged entries are deleted as they are acknowledged.
    co_await stream_.trim_acknowledged();
    if (auto waiting = co_await stream_.backlog()) {
      metrics_.backlog.set(*waiting);
    }
    if (auto oldest = co_await stream_.oldest_unprocessed_ms()) {
      auto age_ms = *oldest == 0 ? 0 : std::max<std::int64_t>(0, core::now_unix_ms() - *oldest);
      metrics_.oldest_unprocessed_age.set(age_ms / 1000);
    }
    // From Redis, not counted here: every replica reports the same, and a restart keeps it.
    if (auto dead = co_await stream_.dead_letter_count()) {
      metrics_.dead_letters.set(*dead);
    }
  }
  if (!batch) {
    co_await pause(std::chrono::milliseconds(200));
    co_return;
  }
  if (batch->empty()) {
    co_await pause(std::chrono::milliseconds(20));
    co_return;
  }
  // The batch's entries are processed at once: their Redis round trips share the pipelined
  // connection instead of waiting in turn. Entries about the same pledge are safe together:
  // each change is a compare-and-set with its dedupe mark.
  std::vector<std::string> done;
  auto executor = co_await net::this_coro::executor;
  auto join = std::make_shared<batch_join>(executor, batch->size());
  for (const auto& entry : *batch) {
    net::co_spawn(executor, process_in_batch(entry, done, join), net::detached);
  }
  co_await join->wait();
  co_await stream_.ack(done);
}

awaitable<void> event_processor::process_in_batch(const stream_entry& entry,
                                                  std::vector<std::string>& done,
                                                  std::shared_ptr<batch_join> join) {
  batch_join::member member(std::move(join));
  // A throw (a bug) is a failed attempt like any other: the entry stays pending, is taken again
  // after retry_after and is dead-lettered after the last attempt.
  auto step = outcome::failed;
  try {
    step = co_await process(entry);
  } catch (const std::exception& e) {
    log::error("webhook event processing threw; counted as a failed attempt",
               {{"stream_id", entry.id}, {"type", type_label(entry.type)}, {"error", e.what()}});
  } catch (...) {
    log::error("webhook event processing threw; counted as a failed attempt",
               {{"stream_id", entry.id}, {"type", type_label(entry.type)}});
  }
  if (step == outcome::done) {
    done.push_back(entry.id);
  } else if (step == outcome::failed) {
    auto attempts = co_await stream_.count_failure(entry.id);
    if (attempts && *attempts >= options_.max_attempts) {
      co_await stream_.dead_letter(entry, "store unavailable or update failed", *attempts);
      metrics_.processed.with({"stripe", type_label(entry.type), "dead_letter"}).inc();
      log::error("webhook event dead-lettered",
                 {{"stream_id", entry.id}, {"type", type_label(entry.type)}});
    }
  }
}

awaitable<event_processor::outcome> event_processor::process(const stream_entry& e) {
  if (options_.before_apply) {
    options_.before_apply(e);
  }
  auto parsed = parse_stripe_event(e.body);
  const auto type = type_label(parsed.type);
  if (parsed.kind == event_kind::malformed) {
    co_await stream_.dead_letter(e, "malformed event", 1);
    metrics_.processed.with({"stripe", "other", "dead_letter"}).inc();
    co_return outcome::done;  // retrying cannot mend it
  }
  if (parsed.kind == event_kind::unknown_type) {
    metrics_.processed.with({"stripe", "other", "unknown_type"}).inc();
    co_return outcome::done;
  }
  // The address the reader paid with confirms or corrects the pledge's copy, before the event
  // queues the messages that go to it.
  if (options_.data_keys && !parsed.update.pledge_id.empty() &&
      !parsed.update.reader_email.empty()) {
    if (auto email = http::normalize_email(parsed.update.reader_email)) {
      auto sealed = pledges::seal_email(*options_.data_keys, parsed.update.pledge_id, *email);
      auto reader = security::reader_hash(*options_.data_keys, *email);
      auto confirmed = co_await pledges_.confirm_address(parsed.update.pledge_id, sealed, reader);
      if (!confirmed) {
        log::warn("webhook event not applied; will retry",
                  {{"stream_id", e.id}, {"type", type}, {"error", confirmed.error().message()}});
        co_return outcome::failed;
      }
    }
  }
  auto applied =
      co_await pledges_.apply_provider_update(parsed.update, "stripe", options_.remember_for);
  if (!applied) {
    log::warn("webhook event not applied; will retry",
              {{"stream_id", e.id}, {"type", type}, {"error", applied.error().message()}});
    co_return outcome::failed;
  }
  using applied_as = pledges::provider_update_result::outcome;
  switch (applied->what) {
    case applied_as::missing:
      // The event that makes the pledge findable may still be on its way (a refund can overtake
      // its renewal's invoice.paid), so it is tried again, as after a failure, before it is
      // kept for inspection as an orphan (never dropped).
      if (auto attempts = co_await stream_.count_failure(e.id);
          !attempts || *attempts < options_.max_attempts) {
        co_return outcome::try_later;
      }
      co_await stream_.keep_orphan(e);
      metrics_.processed.with({"stripe", type, "orphan"}).inc();
      log::warn("webhook event for no known pledge kept", {{"stream_id", e.id}, {"type", type}});
      break;
    case applied_as::duplicate:
      metrics_.processed.with({"stripe", type, "duplicate"}).inc();
      break;
    case applied_as::applied:
      metrics_.processed.with({"stripe", type, "applied"}).inc();
      if (applied->before != applied->after) {
        pledge_stats_.transitions
            .with({pledges::to_string(applied->before), pledges::to_string(applied->after)})
            .inc();
      }
      if (e.received_ms > 0) {
        metrics_.lag.observe(static_cast<double>(core::now_unix_ms() - e.received_ms) / 1000.0);
      }
      break;
  }
  // After the pledge's change is counted: the change is in Redis whatever happens next, and a
  // retry of the event arrives as a duplicate, which still settles the reminders (the pledge
  // keeps the reader's hash until they are).
  if (applied->what != applied_as::missing && !applied->reminder_reader.empty() &&
      applied->after != pledges::pledge_state::pending) {
    if (!co_await settle_reminders(*applied)) {
      co_return outcome::failed;
    }
  }
  co_return outcome::done;
}

awaitable<bool> event_processor::settle_reminders(const pledges::provider_update_result& applied) {
  using pledges::pledge_state;
  // States a pledge reaches only through a successful payment (`canceled` may be unpaid).
  const auto s = applied.after;
  const bool paid = s == pledge_state::active || s == pledge_state::past_due ||
                    s == pledge_state::paid || s == pledge_state::refunded ||
                    s == pledge_state::disputed;
  if (paid && on_reader_gave_) {
    const bool settled = co_await on_reader_gave_(applied.reminder_reader, applied.campaign);
    if (!settled) {
      log::warn("could not cancel the reader's reminders for a paid pledge; will retry",
                {{"pledge_id", applied.pledge_id}});
      co_return false;
    }
  }
  co_return static_cast<bool>(co_await pledges_.forget_reminder_reader(applied.pledge_id));
}

}  // namespace supportd::webhooks

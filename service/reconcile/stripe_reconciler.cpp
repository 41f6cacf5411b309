#include "reconcile/stripe_reconciler.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/clock.hpp"
#include "core/jitter.hpp"
#include "core/pause.hpp"
#include "log/logger.hpp"
#include "pledges/pledge_store.hpp"
#include "reconcile/reconcile_metrics.hpp"
#include "security/secrets.hpp"
#include "webhooks/event_stream.hpp"
#include "webhooks/stripe_event.hpp"

namespace supportd::reconcile {
namespace {

using boost::system::result;

}  // namespace

stripe_reconciler::stripe_reconciler(redis::connection& redis, std::string_view prefix,
                                     providers::event_source& stripe, reconcile_metrics* metrics,
                                     reconciler_options options)
    : redis_(redis),
      prefix_(prefix),
      stripe_(stripe),
      metrics_(metrics),
      options_(std::move(options)),
      store_(redis, prefix_) {}

std::int64_t stripe_reconciler::now_ms() const {
  return options_.now_ms ? options_.now_ms() : core::now_unix_ms();
}

awaitable<result<start_result>> stripe_reconciler::try_start(std::string_view trigger,
                                                             std::chrono::milliseconds min_gap) {
  start_result out;
  out.run.token = security::random_token(16);
  out.run.trigger = std::string(trigger);
  out.run.started_at_ms = now_ms();
  auto attempt =
      co_await store_.try_start(out.run.token, out.run.started_at_ms, options_.lease, min_gap);
  if (!attempt) {
    co_return attempt.error();
  }
  out.attempt = *attempt;
  out.run.checkpoint = attempt->checkpoint;
  out.run.window = window_for(attempt->checkpoint, out.run.started_at_ms / 1000, options_.limits);
  co_return out;
}

awaitable<run_report> stripe_reconciler::run(started_run started) {
  run_report report;
  report.trigger = started.trigger;
  report.started_at_ms = started.started_at_ms;
  report.since = started.window.since;
  report.first_run = started.window.first_run;
  report.checkpoint_expired = started.window.checkpoint_expired;
  report.checkpoint = started.checkpoint.value_or(0);
  log::info("stripe reconciliation started", {{"trigger", started.trigger},
                                              {"since", started.window.since},
                                              {"first_run", started.window.first_run}});
  if (started.window.checkpoint_expired) {
    if (metrics_ != nullptr) {
      metrics_->checkpoint_expired.inc();
    }
    log::error(
        "stripe reconciliation checkpoint is older than Stripe keeps events: starting at the "
        "oldest available; events in between may be lost",
        {{"trigger", started.trigger}, {"since", started.window.since}});
  }

  auto outcome = run_outcome::ok;
  std::int64_t since = started.window.since;
  std::set<std::string> fed_at_since;
  try {
    // A first run pins where it starts, so that one that fails is taken up from there.
    if (started.window.first_run) {
      auto pinned = co_await store_.advance_checkpoint(started.token, since);
      outcome = !pinned ? run_outcome::store_unavailable
                        : (*pinned ? run_outcome::ok : run_outcome::lease_lost);
      if (outcome == run_outcome::ok) {
        report.checkpoint = since;
      }
    }
    // A pass that held back the newest events for memory's sake is followed by another from
    // where it got to.
    while (outcome == run_outcome::ok) {
      ++report.passes;
      auto p = co_await pass(started, since, fed_at_since, report);
      outcome = p.outcome;
      if (p.checkpoint > report.checkpoint) {
        report.checkpoint = p.checkpoint;
      }
      if (outcome != run_outcome::ok || !p.truncated) {
        break;
      }
      if (p.checkpoint <= since) {
        outcome = run_outcome::stuck;  // the whole pass was one second's events
        break;
      }
      since = p.checkpoint;
      fed_at_since = std::move(p.fed_at_checkpoint);
    }
  } catch (const std::exception& e) {
    log::error("stripe reconciliation threw", {{"error", e.what()}});
    outcome = run_outcome::store_unavailable;
  }
  report.outcome = outcome;
  report.finished_at_ms = now_ms();
  auto saved = co_await store_.finish(started.token, report);
  if (saved && !*saved && report.outcome == run_outcome::ok) {
    report.outcome = run_outcome::lease_lost;
  }
  if (metrics_ != nullptr) {
    metrics_->runs.with({to_string(report.outcome)}).inc();
  }
  const auto level = report.outcome == run_outcome::ok || report.outcome == run_outcome::stopped
                         ? log::level::info
                         : log::level::warn;
  log::write(level, "stripe reconciliation finished",
             {{"trigger", report.trigger},
              {"outcome", to_string(report.outcome)},
              {"since", report.since},
              {"checkpoint", report.checkpoint},
              {"passes", report.passes},
              {"pages", report.pages},
              {"listed", report.listed},
              {"fed", report.fed},
              {"already_applied", report.already_applied},
              {"ignored", report.ignored},
              {"ms", report.finished_at_ms - report.started_at_ms}});
  co_await refresh_gauge();
  co_return report;
}

awaitable<stripe_reconciler::pass_result> stripe_reconciler::pass(
    const started_run& started, std::int64_t since, const std::set<std::string>& fed_before,
    run_report& report) {
  pass_result out;
  out.checkpoint = since;
  pass_plan plan(since, now_ms() / 1000, options_.limits);
  providers::event_page_request request{since, webhooks::handled_types(), {}, options_.page_size};
  auto count = [&](std::string_view outcome, std::int64_t n) {
    if (metrics_ != nullptr && n > 0) {
      metrics_->events.with({outcome}).inc(static_cast<std::uint64_t>(n));
    }
  };
  while (!plan.done()) {
    if (options_.stopping && options_.stopping()) {
      out.outcome = run_outcome::stopped;
      break;
    }
    auto page = co_await stripe_.list_events(request);
    if (!page) {
      out.outcome = page.error().what == providers::provider_error::kind::rejected
                        ? run_outcome::provider_rejected
                        : run_outcome::provider_unavailable;
      break;
    }
    auto each = co_await classify(*page, fed_before);
    if (!each) {
      out.outcome = run_outcome::store_unavailable;
      break;
    }
    const auto applied_before = plan.already_applied();
    const auto ignored_before = plan.ignored();
    auto next = plan.add_page(std::move(page->events), *each, page->has_more);
    count("already_applied", plan.already_applied() - applied_before);
    count("ignored", plan.ignored() - ignored_before);
    auto held = co_await store_.renew(started.token, options_.lease);
    if (!held || !*held) {
      out.outcome = held ? run_outcome::lease_lost : run_outcome::store_unavailable;
      break;
    }
    request.after = next.value_or("");
  }
  report.pages += plan.pages();
  report.listed += plan.listed();
  report.already_applied += plan.already_applied();
  report.ignored += plan.ignored();
  if (out.outcome != run_outcome::ok) {
    co_return out;  // a walk cut short feeds nothing: its oldest events were never listed
  }
  out.truncated = plan.truncated();
  const auto events = plan.take_feed();
  auto [fed, stopped_by] = co_await feed(started, events);
  report.fed += static_cast<std::int64_t>(fed);
  count("fed", static_cast<std::int64_t>(fed));
  out.outcome = stopped_by;
  const auto checkpoint = plan.checkpoint_after(fed);
  if (out.outcome != run_outcome::lease_lost && checkpoint > since) {
    auto moved = co_await store_.advance_checkpoint(started.token, checkpoint);
    if (!moved) {
      out.outcome = run_outcome::store_unavailable;
      co_return out;
    }
    if (!*moved) {
      out.outcome = run_outcome::lease_lost;
      co_return out;
    }
    out.checkpoint = checkpoint;
    for (std::size_t i = 0; i < fed; ++i) {
      if (events[i].created == checkpoint) {
        out.fed_at_checkpoint.insert(events[i].id);
      }
    }
  }
  co_return out;
}

awaitable<std::optional<std::vector<disposition>>> stripe_reconciler::classify(
    const providers::event_page& page, const std::set<std::string>& fed_before) {
  std::vector<disposition> each(page.events.size(), disposition::ignored);
  std::vector<std::string> candidates;
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < page.events.size(); ++i) {
    const auto parsed = webhooks::parse_stripe_event(page.events[i].body);
    if (parsed.kind == webhooks::event_kind::known && parsed.livemode == options_.livemode &&
        parsed.update.event_id == page.events[i].id) {
      candidates.push_back(page.events[i].id);
      at.push_back(i);
    }
  }
  pledges::pledge_store pledges(redis_, prefix_);
  auto marks = co_await pledges.applied_events(candidates);
  if (!marks) {
    co_return std::nullopt;
  }
  for (std::size_t j = 0; j < at.size(); ++j) {
    const bool fed = (*marks)[j] || fed_before.contains(candidates[j]);
    each[at[j]] = fed ? disposition::applied : disposition::feed;
  }
  co_return each;
}

awaitable<std::pair<std::size_t, run_outcome>> stripe_reconciler::feed(
    const started_run& started, const std::vector<providers::listed_event>& events) {
  webhooks::event_stream stream(redis_, prefix_);
  // A chunk larger than the backlog bound would never fit.
  auto chunk = std::max<std::size_t>(1, options_.append_chunk);
  if (options_.max_backlog > 0) {
    chunk = std::min(chunk, static_cast<std::size_t>(options_.max_backlog));
  }
  std::size_t fed = 0;
  std::vector<webhooks::incoming_event> batch;
  while (fed < events.size()) {
    batch.clear();
    for (auto i = fed; i < std::min(events.size(), fed + chunk); ++i) {
      batch.push_back({events[i].id, events[i].type, events[i].body});
    }
    auto appended = co_await stream.append_all(batch, options_.max_backlog);
    if (!appended) {
      co_return std::pair{fed, run_outcome::store_unavailable};
    }
    if (!*appended) {
      co_return std::pair{fed, run_outcome::backlog_full};
    }
    fed += batch.size();
    auto held = co_await store_.renew(started.token, options_.lease);
    if (!held) {
      co_return std::pair{fed, run_outcome::store_unavailable};
    }
    if (!*held) {
      co_return std::pair{fed, run_outcome::lease_lost};
    }
  }
  co_return std::pair{fed, run_outcome::ok};
}

awaitable<void> stripe_reconciler::refresh_gauge() {
  if (metrics_ == nullptr) {
    co_return;
  }
  auto status = co_await store_.status();
  if (status && status->checkpoint) {
    metrics_->checkpoint_age.with({}).set(
        std::max<std::int64_t>(0, now_ms() / 1000 - *status->checkpoint));
  }
}

awaitable<void> stripe_reconciler::run_every(std::chrono::milliseconds interval,
                                             const std::atomic<bool>& stop) {
  using namespace std::chrono_literals;
  // Every replica looks about once a minute; the lease and the gap since the last run's start
  // (kept in Redis) make it one run per interval across all of them.
  const auto tick = interval.count() > 0 ? std::clamp<std::chrono::milliseconds>(interval, 1s, 60s)
                                         : std::chrono::milliseconds(60s);
  while (!stop.load(std::memory_order_relaxed)) {
    const auto wait = core::jittered(tick, 0.9, 1.1);
    co_await pause(wait);
    if (stop.load(std::memory_order_relaxed)) {
      break;
    }
    try {
      co_await refresh_gauge();
      if (interval.count() <= 0) {
        continue;
      }
      auto started = co_await try_start("schedule", interval);
      if (started && started->attempt.what == start_attempt::outcome::started) {
        co_await run(std::move(started->run));
      }
    } catch (const std::exception& e) {
      log::error("stripe reconciliation schedule threw", {{"error", e.what()}});
    }
  }
}

}  // namespace supportd::reconcile

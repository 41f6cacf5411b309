// The reconciliation on a real redis-server, with an in-process stand-in for Stripe's event list
// (fake-stripe serves the real one in the end-to-end tests): what it feeds and in which order,
// where its checkpoint goes, one run at a time, and what stops it.
#include "reconcile/stripe_reconciler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "metrics/registry.hpp"
#include "reconcile/reconcile_metrics.hpp"
#include "redis/connection.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::reconcile {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t now_s = 1'750'000'000;
constexpr std::int64_t day = 86'400;

std::string invoice_paid(const std::string& id, std::int64_t created, bool live = false) {
  return R"({"id":")" + id + R"(","object":"event","type":"invoice.paid","created":)" +
         std::to_string(created) + R"(,"livemode":)" + (live ? "true" : "false") +
         R"(,"data":{"object":{"object":"invoice","id":"in_)" + id +
         R"(","subscription":"sub_1","amount_paid":500}}})";
}

// Stripe's list as the reconciler sees it: newest first, created[gte], types, starting_after,
// limit; a page can be made to fail, and each request can run a test's hook first.
class listed_events final : public providers::event_source {
 public:
  std::vector<providers::listed_event> events;  // newest first
  int fail_page = 0;                            // 1-based; 0: none fails
  std::function<void()> before_page;
  std::vector<providers::event_page_request> requests;
  std::vector<std::vector<std::string>> types_asked;

  void add(const std::string& id, std::int64_t created, bool live = false) {
    add(providers::listed_event{id, "invoice.paid", created, invoice_paid(id, created, live)});
  }
  void add(providers::listed_event e) {
    events.push_back(std::move(e));
    std::stable_sort(events.begin(), events.end(),
                     [](const auto& a, const auto& b) { return a.created > b.created; });
  }

  awaitable<providers::provider_result<providers::event_page>> list_events(
      const providers::event_page_request& request) override {
    requests.push_back(request);
    types_asked.emplace_back(request.types.begin(), request.types.end());
    if (before_page) {
      before_page();
    }
    if (fail_page > 0 && static_cast<int>(requests.size()) == fail_page) {
      co_return providers::provider_error{providers::provider_error::kind::unavailable, "HTTP 500"};
    }
    auto it = events.begin();
    if (!request.after.empty()) {
      it = std::find_if(events.begin(), events.end(),
                        [&](const auto& e) { return e.id == request.after; });
      if (it != events.end()) {
        ++it;
      }
    }
    providers::event_page page;
    for (; it != events.end(); ++it) {
      if (it->created < request.created_from) {
        continue;
      }
      if (static_cast<int>(page.events.size()) == request.limit) {
        page.has_more = true;
        break;
      }
      page.events.push_back(*it);
    }
    co_return page;
  }
};

class StripeReconciler : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    conn = std::make_unique<redis::connection>(
        io, redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
        nullptr);
    conn->start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn->ready(); }, 5s));
  }

  std::unique_ptr<stripe_reconciler> reconciler(reconciler_options options = {}) {
    options.page_size = 3;  // several pages of a few events
    options.now_ms = [this] { return now_ms; };
    return std::make_unique<stripe_reconciler>(*conn, prefix, stripe, &stats, std::move(options));
  }

  // Starts a run (as an admin would) and carries it out.
  run_report reconcile(stripe_reconciler& r) {
    auto started = test::run(io, r.try_start("admin", 0ms));
    EXPECT_TRUE(started);
    EXPECT_EQ(started->attempt.what, start_attempt::outcome::started);
    return test::run(io, r.run(std::move(started->run)));
  }

  // What the event stream holds, oldest first.
  std::vector<std::string> fed() {
    std::vector<std::string> out;
    auto lines = server.cli({"XRANGE", prefix + "stripe:events", "-", "+"});
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
      if (lines[i] == "event_id") {
        out.push_back(lines[i + 1]);
      }
    }
    return out;
  }
  std::optional<std::int64_t> checkpoint() {
    auto s = test::run(io, reconcile_store(*conn, prefix).status());
    return s ? s->checkpoint : std::nullopt;
  }
  void mark_applied(const std::string& id) { server.cli({"SET", prefix + "seen:" + id, "1"}); }

  test::redis_server server;
  net::io_context io;
  std::unique_ptr<redis::connection> conn;
  metrics::registry registry;
  reconcile_metrics stats = reconcile_metrics::create(registry);
  listed_events stripe;
  std::int64_t now_ms = now_s * 1000;
  const std::string prefix = "t:";
};

TEST_F(StripeReconciler, FeedsWhatLacksItsDedupeMarkOldestFirstAndKeepsACheckpoint) {
  for (int i = 1; i <= 8; ++i) {
    stripe.add("evt_" + std::to_string(i), now_s - 3600 + i * 60);
  }
  mark_applied("evt_2");
  mark_applied("evt_7");
  auto r = reconciler();
  auto report = reconcile(*r);
  EXPECT_EQ(report.outcome, run_outcome::ok);
  EXPECT_TRUE(report.first_run);
  EXPECT_EQ(report.since, now_s - 7 * day);
  EXPECT_EQ(report.listed, 8);
  EXPECT_EQ(report.already_applied, 2);
  EXPECT_EQ(report.fed, 6);
  EXPECT_EQ(report.pages, 3);  // 3 + 3 + 2
  EXPECT_EQ(fed(),
            (std::vector<std::string>{"evt_1", "evt_3", "evt_4", "evt_5", "evt_6", "evt_8"}));
  // Asked for the window, only the types supportd reads, page after page.
  ASSERT_EQ(stripe.requests.size(), 3u);
  EXPECT_EQ(stripe.requests[0].created_from, now_s - 7 * day);
  EXPECT_EQ(stripe.requests[0].after, "");
  EXPECT_EQ(stripe.requests[1].after, "evt_6");
  EXPECT_NE(std::find(stripe.types_asked[0].begin(), stripe.types_asked[0].end(), "invoice.paid"),
            stripe.types_asked[0].end());
  EXPECT_EQ(checkpoint(), now_s - 300);
  EXPECT_EQ(report.checkpoint, now_s - 300);

  // What the admin API shows afterwards; the lease is free again.
  auto status = test::run(io, reconcile_store(*conn, prefix).status());
  ASSERT_TRUE(status && status->last);
  EXPECT_FALSE(status->running);
  EXPECT_EQ(status->last->fed, 6);
  EXPECT_EQ(status->last->trigger, "admin");
  EXPECT_EQ(status->last->outcome, run_outcome::ok);
  EXPECT_EQ(stats.events.with({"fed"}).value(), 6u);
  EXPECT_EQ(stats.events.with({"already_applied"}).value(), 2u);
  EXPECT_EQ(stats.runs.with({"ok"}).value(), 1u);
  EXPECT_EQ(stats.checkpoint_age.with({}).value(), 300);

  // The next run lists from the checkpoint: only what came since.
  now_ms += 3'600'000;
  stripe.add("evt_9", now_s + 1800);
  report = reconcile(*r);
  EXPECT_EQ(report.since, now_s - 300);
  EXPECT_FALSE(report.first_run);
  EXPECT_EQ(report.listed, 1);
  EXPECT_EQ(fed().back(), "evt_9");
  EXPECT_EQ(checkpoint(), now_s + 3600 - 300);
}

TEST_F(StripeReconciler, OneRunAtATimeAndTheScheduleKeepsItsInterval) {
  auto r = reconciler();
  auto first = test::run(io, r->try_start("admin", 0ms));
  ASSERT_EQ(first->attempt.what, start_attempt::outcome::started);
  auto second = test::run(io, r->try_start("admin", 0ms));
  EXPECT_EQ(second->attempt.what, start_attempt::outcome::busy);
  EXPECT_EQ(second->attempt.last_started_ms, now_ms);
  test::run(io, r->run(std::move(first->run)));

  // Scheduled: not before the interval since the last start (of any replica) has passed.
  now_ms += 30 * 60'000;
  EXPECT_EQ(test::run(io, r->try_start("schedule", 1h))->attempt.what,
            start_attempt::outcome::not_due);
  now_ms += 30 * 60'000;
  auto due = test::run(io, r->try_start("schedule", 1h));
  EXPECT_EQ(due->attempt.what, start_attempt::outcome::started);
  test::run(io, r->run(std::move(due->run)));
}

TEST_F(StripeReconciler, AFailedWalkFeedsNothingAndLeavesTheCheckpoint) {
  server.cli({"HSET", prefix + "stripe:reconcile", "checkpoint", std::to_string(now_s - 7200)});
  for (int i = 1; i <= 7; ++i) {
    stripe.add("evt_" + std::to_string(i), now_s - 3600 + i);
  }
  stripe.fail_page = 2;
  auto r = reconciler();
  auto report = reconcile(*r);
  EXPECT_EQ(report.outcome, run_outcome::provider_unavailable);
  EXPECT_EQ(report.fed, 0);
  EXPECT_TRUE(fed().empty());
  EXPECT_EQ(checkpoint(), now_s - 7200);
  EXPECT_EQ(stats.runs.with({"provider_unavailable"}).value(), 1u);
  // The next run gets through.
  stripe.fail_page = 0;
  report = reconcile(*r);
  EXPECT_EQ(report.outcome, run_outcome::ok);
  EXPECT_EQ(report.fed, 7);
}

TEST_F(StripeReconciler, BeyondAPassesMemoryItFeedsInPassesStillOldestFirst) {
  std::vector<std::string> all;
  for (int i = 1; i <= 8; ++i) {
    stripe.add("evt_" + std::to_string(i), now_s - 3600 + i * 10);
    all.push_back("evt_" + std::to_string(i));
  }
  auto r = reconciler({.limits = {.max_kept = 3}});
  auto report = reconcile(*r);
  EXPECT_EQ(report.outcome, run_outcome::ok);
  EXPECT_EQ(report.passes, 3);
  EXPECT_EQ(fed(), all);
  EXPECT_EQ(report.fed, 8);
  EXPECT_EQ(checkpoint(), now_s - 300);
}

TEST_F(StripeReconciler, AFullBacklogStopsTheFeedingWhereItGot) {
  for (int i = 1; i <= 6; ++i) {
    stripe.add("evt_" + std::to_string(i), now_s - 3600 + i * 10);
  }
  server.cli({"XADD", prefix + "stripe:events", "*", "event_id", "evt_waiting"});
  auto r = reconciler({.append_chunk = 2, .max_backlog = 4});
  auto report = reconcile(*r);
  EXPECT_EQ(report.outcome, run_outcome::backlog_full);
  EXPECT_EQ(report.fed, 2);
  EXPECT_EQ(fed(), (std::vector<std::string>{"evt_waiting", "evt_1", "evt_2"}));
  // Up to the newest fed: evt_2's second is listed again, the rest for the first time.
  EXPECT_EQ(checkpoint(), now_s - 3600 + 20);
  EXPECT_EQ(stats.runs.with({"backlog_full"}).value(), 1u);
}

TEST_F(StripeReconciler, ARunThatLostItsLeaseChangesNothingMore) {
  server.cli({"HSET", prefix + "stripe:reconcile", "checkpoint", std::to_string(now_s - 7200)});
  stripe.add("evt_1", now_s - 3600);
  // Another run took over (this one stalled past its lease).
  stripe.before_page = [&] {
    server.cli({"SET", prefix + "stripe:reconcile:lease", "someone-else"});
  };
  auto r = reconciler();
  auto report = reconcile(*r);
  EXPECT_EQ(report.outcome, run_outcome::lease_lost);
  EXPECT_TRUE(fed().empty());
  EXPECT_EQ(checkpoint(), now_s - 7200);
  auto status = test::run(io, reconcile_store(*conn, prefix).status());
  EXPECT_TRUE(status->running);  // the other run's lease stays
  EXPECT_FALSE(status->last);    // and this run wrote no report
}

TEST_F(StripeReconciler, ACheckpointOlderThanStripeKeepsEventsIsReported) {
  server.cli({"HSET", prefix + "stripe:reconcile", "checkpoint", std::to_string(now_s - 40 * day)});
  stripe.add("evt_1", now_s - 10 * day);
  auto r = reconciler();
  auto report = reconcile(*r);
  EXPECT_EQ(report.outcome, run_outcome::ok);
  EXPECT_TRUE(report.checkpoint_expired);
  EXPECT_EQ(report.since, now_s - 30 * day);
  EXPECT_EQ(stripe.requests.front().created_from, now_s - 30 * day);
  EXPECT_EQ(stats.checkpoint_expired.value(), 1u);
  EXPECT_EQ(report.fed, 1);
}

TEST_F(StripeReconciler, EventsOfTheOtherModeAreNotFed) {
  stripe.add("evt_live", now_s - 100, true);
  stripe.add({"evt_bad", "invoice.paid", now_s - 200, "not json"});
  stripe.add("evt_test", now_s - 300);
  auto r = reconciler();
  auto report = reconcile(*r);
  EXPECT_EQ(report.ignored, 2);
  EXPECT_EQ(fed(), (std::vector<std::string>{"evt_test"}));
  EXPECT_EQ(stats.events.with({"ignored"}).value(), 2u);
}

}  // namespace
}  // namespace supportd::reconcile

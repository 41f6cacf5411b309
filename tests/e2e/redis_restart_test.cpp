// Redis killed (SIGKILL, as a crash or an OOM kill would) and restarted 20 times under a steady
// mix of pledges, sign-ups and Stripe webhooks, with the AOF fsynced on every write as deploy/
// runs it. No acknowledged write may be lost, and every request that meets Redis down must be
// answered 503 within a second: not left hanging, not a 500.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "e2e/acknowledged_writes.hpp"
#include "support/raw_client.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
constexpr int restarts = 20;
constexpr int client_threads = 3;
constexpr auto up_for = 1200ms;
constexpr auto down_for = 300ms;
constexpr auto outage_answer_bound = 1s;

// From the SIGKILL to the restarted Redis saying it accepts connections; within it, from the
// killed process's exit to the new one's start, no Redis runs at all.
struct outage {
  clock_type::time_point from;
  clock_type::time_point gone;
  clock_type::time_point back;
  clock_type::time_point to;
};

TEST(RedisRestarts, NoAcknowledgedWriteIsLostAndEveryRequestDuringAnOutageIsA503WithinASecond) {
  redis_server redis;  // AOF on, appendfsync always, its own port and directory
  writing_service service(redis.url());

  ledger seen;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < client_threads; ++c) {
    clients.emplace_back(send_writes, "restart", c, service.http_port(), std::cref(stop),
                         std::ref(seen));
  }
  std::vector<outage> outages;
  for (int i = 0; i < restarts; ++i) {
    std::this_thread::sleep_for(up_for);
    outage o;
    o.from = clock_type::now();
    redis.kill();  // returns once the process is gone
    o.gone = clock_type::now();
    std::this_thread::sleep_for(down_for);
    o.back = clock_type::now();
    redis.restart();  // returns once Redis has loaded its AOF and accepts connections
    o.to = clock_type::now();
    outages.push_back(o);
  }
  std::this_thread::sleep_for(up_for);
  stop = true;
  for (auto& t : clients) {
    t.join();
  }
  const auto records = seen.records();

  // Every acknowledged write is in Redis after the last restart.
  std::vector<std::string> pledges;
  std::vector<std::string> reminders;
  std::vector<std::string> events;
  for (const auto& r : records) {
    if (!acknowledged(r)) {
      continue;
    }
    auto& into = r.kind == write_kind::pledge   ? pledges
                 : r.kind == write_kind::signup ? reminders
                                                : events;
    into.push_back(r.id);
  }
  const auto lost_pledges = missing_pledges(redis, pledges);
  const auto lost_reminders = missing_reminders(redis, reminders);
  const auto kept_events = webhook_events_kept(redis);
  std::vector<std::string> lost_events;
  std::copy_if(events.begin(), events.end(), std::back_inserter(lost_events),
               [&](const std::string& id) { return !kept_events.contains(id); });
  EXPECT_TRUE(lost_pledges.empty())
      << lost_pledges.size() << " pledges lost, first " << lost_pledges.front();
  EXPECT_TRUE(lost_reminders.empty())
      << lost_reminders.size() << " sign-ups lost, first " << lost_reminders.front();
  EXPECT_TRUE(lost_events.empty())
      << lost_events.size() << " webhook events lost, first " << lost_events.front();
  for (const auto& id : pledges) {
    ASSERT_FALSE(id.empty()) << "an acknowledged pledge without an id";
  }

  // Every request was answered: acknowledged, or 503 (nothing else is right for a write whose
  // store comes and goes), and any that met an outage within the bound.
  std::size_t during_outages = 0;
  std::size_t without_redis = 0;
  std::size_t unavailable = 0;
  std::chrono::milliseconds slowest_during_outage{0};
  std::chrono::milliseconds slowest{0};
  for (const auto& r : records) {
    EXPECT_TRUE(acknowledged(r) || r.status == 503)
        << "status " << r.status << " after " << took(r).count() << " ms";
    unavailable += r.status == 503;
    slowest = std::max(slowest, took(r));
    const bool met_outage = std::any_of(outages.begin(), outages.end(), [&](const outage& o) {
      return r.started <= o.to && r.finished >= o.from;
    });
    if (!met_outage) {
      continue;
    }
    ++during_outages;
    slowest_during_outage = std::max(slowest_during_outage, took(r));
    EXPECT_LE(took(r), outage_answer_bound) << "status " << r.status;
    // Made while no Redis ran at all: it cannot have been stored.
    const bool no_redis = std::any_of(outages.begin(), outages.end(), [&](const outage& o) {
      return r.started >= o.gone && r.finished <= o.back;
    });
    if (no_redis) {
      ++without_redis;
      EXPECT_EQ(r.status, 503);
    }
  }
  EXPECT_GT(without_redis, 0u);
  // How soon writes were acknowledged again once Redis was back (supportd's reconnect backoff).
  std::chrono::milliseconds slowest_recovery{0};
  for (const auto& o : outages) {
    auto first = clock_type::time_point::max();
    for (const auto& r : records) {
      if (acknowledged(r) && r.started >= o.to) {
        first = std::min(first, r.finished);
      }
    }
    if (first != clock_type::time_point::max()) {
      slowest_recovery = std::max(
          slowest_recovery, std::chrono::duration_cast<std::chrono::milliseconds>(first - o.to));
    }
  }
  // Redis came back every time: writes were acknowledged after the last restart too.
  EXPECT_TRUE(std::any_of(records.begin(), records.end(), [&](const request_record& r) {
    return acknowledged(r) && r.started > outages.back().to;
  }));

  std::printf(
      "redis restarts: %d; requests: %zu (pledges acknowledged %zu, sign-ups %zu, webhooks %zu); "
      "503s: %zu; requests that met an outage: %zu (%zu while no Redis ran), slowest of them "
      "%lld ms; slowest overall %lld ms; first acknowledgement after Redis was back: within "
      "%lld ms; lost: %zu\n",
      restarts, records.size(), pledges.size(), reminders.size(), events.size(), unavailable,
      during_outages, without_redis, static_cast<long long>(slowest_during_outage.count()),
      static_cast<long long>(slowest.count()), static_cast<long long>(slowest_recovery.count()),
      lost_pledges.size() + lost_reminders.size() + lost_events.size());
}

}  // namespace
}  // namespace supportd::test

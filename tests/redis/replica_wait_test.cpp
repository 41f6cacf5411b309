// Waiting for replicas against a real primary and a real replica: what WAIT confirms, what it
// cannot, and what the callers sharing one connection see when the replica stops answering.
#include "redis/replica_wait.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <optional>
#include <thread>

#include "redis/connection.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::redis {
namespace {

using namespace std::chrono_literals;
using outcome = replica_wait::outcome;

class ReplicaWait : public ::testing::Test {
 protected:
  void SetUp() override { replica = test::redis_server::replica_of(primary); }

  std::unique_ptr<connection> connect() {
    std::string why;
    auto endpoint = redis::parse_redis_url(primary.url(), why);
    EXPECT_TRUE(endpoint) << why;
    auto c = std::make_unique<connection>(io, connection::options{.endpoint = *endpoint}, &stats);
    c->start();
    EXPECT_TRUE(test::run_until(
        io, [&] { return c->ready(); }, 5s));
    return c;
  }

  // Long enough by default for a replica that fsyncs every write on a busy machine to confirm.
  replica_wait waiting_on(connection& c, int replicas = 1, std::chrono::milliseconds timeout = 5s) {
    return replica_wait(c, {.replicas = replicas, .timeout = timeout, .fence_key = "test:fence"},
                        &wait_stats);
  }

  std::uint64_t count_of(outcome o) {
    const char* label = o == outcome::confirmed        ? "confirmed"
                        : o == outcome::not_replicated ? "not_replicated"
                                                       : "unavailable";
    return wait_stats.waits.with({label}).value();
  }

  // WAIT commands the primary has run.
  int waits_run() {
    for (const auto& line : primary.cli({"INFO", "commandstats"})) {
      if (line.starts_with("cmdstat_wait:calls=")) {
        return std::stoi(line.substr(std::string("cmdstat_wait:calls=").size()));
      }
    }
    return 0;
  }

  test::redis_server primary;
  std::unique_ptr<test::redis_server> replica;
  net::io_context io;
  metrics::registry registry;
  client_metrics stats = client_metrics::create(registry);
  replica_wait_metrics wait_stats = replica_wait_metrics::create(registry);
};

// A write, then its confirmation, as a handler does it.
awaitable<outcome> write_and_confirm(connection& c, replica_wait& w, std::string key) {
  const auto session = w.session();
  std::string_view set[] = {"SET", key, "v"};
  auto written = co_await c.command(set);
  if (!written || written->is_error()) {
    co_return outcome::unavailable;
  }
  co_return co_await w.confirm(session);
}

awaitable<outcome> read_and_confirm(connection& c, replica_wait& w, std::string key) {
  const auto session = w.session();
  std::string_view get[] = {"GET", key};
  auto read = co_await c.command(get);
  if (!read || read->is_error()) {
    co_return outcome::unavailable;
  }
  co_return co_await w.confirm_read(session);
}

awaitable<void> write_and_confirm_into(connection& c, replica_wait& w, std::string key,
                                       std::optional<outcome>& out) {
  out = co_await write_and_confirm(c, w, std::move(key));
}

awaitable<result> command_of(connection& c, std::vector<std::string_view> args) {
  co_return co_await c.command(args);
}

TEST_F(ReplicaWait, AConfirmedWriteIsOnTheReplica) {
  auto c = connect();
  auto w = waiting_on(*c);
  EXPECT_EQ(test::run(io, write_and_confirm(*c, w, "pledge")), outcome::confirmed);
  // Confirmed means there, not on its way.
  EXPECT_EQ(replica->cli({"GET", "pledge"}), std::vector<std::string>{"v"});
  EXPECT_EQ(count_of(outcome::confirmed), 1u);
}

TEST_F(ReplicaWait, WithoutReplicasAskedForNothingWaits) {
  auto c = connect();
  auto w = waiting_on(*c, 0);
  replica->pause();
  EXPECT_EQ(test::run(io, write_and_confirm(*c, w, "k")), outcome::confirmed);
  replica->resume();
  EXPECT_EQ(waits_run(), 0);
}

TEST_F(ReplicaWait, AStoppedReplicaIsNotReplicatedWithinTheTimeoutAndTheConnectionStaysUp) {
  auto c = connect();
  auto w = waiting_on(*c, 1, 300ms);
  replica->pause();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(test::run(io, write_and_confirm(*c, w, "k")), outcome::not_replicated);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 1s);
  // The write itself is on the primary; the connection answers the next command at once.
  EXPECT_TRUE(c->ready());
  const auto generation = c->generation();
  EXPECT_TRUE(expect_status(test::run(io, command_of(*c, {"PING"})).value(), "PONG"));
  EXPECT_EQ(c->generation(), generation);
  EXPECT_EQ(count_of(outcome::not_replicated), 1u);

  replica->resume();
  ASSERT_TRUE(replica->wait_linked(5s));
  // Once the thawed replica has caught up (on a busy machine that can take longer than one
  // 300 ms wait), writes are confirmed again.
  auto again = outcome::not_replicated;
  for (int attempt = 0; attempt < 20 && again != outcome::confirmed; ++attempt) {
    again = test::run(io, write_and_confirm(*c, w, "k2"));
  }
  EXPECT_EQ(again, outcome::confirmed);
}

TEST_F(ReplicaWait, MoreReplicasThanThereAreAreNeverConfirmed) {
  auto c = connect();
  auto w = waiting_on(*c, 2, 200ms);
  EXPECT_EQ(test::run(io, write_and_confirm(*c, w, "k")), outcome::not_replicated);
}

TEST_F(ReplicaWait, ConcurrentCallersShareWaits) {
  auto c = connect();
  auto w = waiting_on(*c);
  const int before = waits_run();
  constexpr int callers = 300;
  std::vector<std::optional<outcome>> outcomes(callers);
  for (int i = 0; i < callers; ++i) {
    net::co_spawn(io, write_and_confirm_into(*c, w, "k" + std::to_string(i), outcomes[i]),
                  net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return std::all_of(outcomes.begin(), outcomes.end(), [](auto& o) { return o; }); },
      10s));
  for (const auto& o : outcomes) {
    EXPECT_EQ(*o, outcome::confirmed);
  }
  // Every write is on the replica, confirmed by far fewer WAITs than there were writes.
  EXPECT_EQ(replica->cli({"DBSIZE"}), std::vector<std::string>{std::to_string(callers)});
  const int waits = waits_run() - before;
  EXPECT_GE(waits, 1);
  EXPECT_LT(waits, callers / 2);
}

TEST_F(ReplicaWait, CallersGatheredBehindAShortWaitLearnItAtOnce) {
  auto c = connect();
  auto w = waiting_on(*c, 1, 500ms);
  replica->pause();
  constexpr int callers = 50;
  std::vector<std::optional<outcome>> outcomes(callers);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < callers; ++i) {
    net::co_spawn(io, write_and_confirm_into(*c, w, "k" + std::to_string(i), outcomes[i]),
                  net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return std::all_of(outcomes.begin(), outcomes.end(), [](auto& o) { return o; }); },
      10s));
  // One timeout for them all, not one each (nor two for those behind the first WAIT).
  EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms);
  for (const auto& o : outcomes) {
    EXPECT_EQ(*o, outcome::not_replicated);
  }
  EXPECT_EQ(count_of(outcome::not_replicated), std::uint64_t{callers});
  replica->resume();
}

TEST_F(ReplicaWait, AWriteOfAnEarlierSessionIsNotConfirmedByWaitOnTheNext) {
  auto c = connect();
  auto w = waiting_on(*c);
  const auto session = w.session();
  ASSERT_TRUE(test::run(io, command_of(*c, {"SET", "k", "v"})));
  // The connection is dropped and made anew (a Redis restart or failover looks the same to it).
  primary.cli({"CLIENT", "KILL", "TYPE", "normal"});
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->generation() != session && c->ready(); }, 5s));
  EXPECT_EQ(test::run(io, w.confirm(session)), outcome::not_replicated);
}

TEST_F(ReplicaWait, AReplayedAnswerWaitsForWhatAnotherConnectionWrote) {
  auto reader = connect();
  auto writer = connect();
  auto w = waiting_on(*reader, 1, 1s);
  // Another connection (another worker, another supportd) saved an answer the replica does not
  // have yet.
  replica->pause();
  ASSERT_TRUE(test::run(io, command_of(*writer, {"SET", "answer", "201"})));
  // This connection never wrote. Redis 7.0 moves a connection's WAIT offset with every command,
  // reads too; later versions only with its writes, and there a bare WAIT would answer at once
  // that the replica has all of this connection's (no) writes. The fence write covers both.
  EXPECT_EQ(test::run(io, read_and_confirm(*reader, w, "answer")), outcome::not_replicated);
  replica->resume();
  ASSERT_TRUE(replica->wait_linked(5s));
  EXPECT_EQ(test::run(io, read_and_confirm(*reader, w, "answer")), outcome::confirmed);
  EXPECT_EQ(replica->cli({"GET", "answer"}), std::vector<std::string>{"201"});
}

TEST_F(ReplicaWait, APrimaryThatDiesDuringAWaitEndsItAtOnce) {
  auto c = connect();
  auto w = waiting_on(*c, 1, 5s);
  replica->pause();
  std::thread crash([&] {
    std::this_thread::sleep_for(200ms);
    primary.kill();
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(test::run(io, write_and_confirm(*c, w, "k")), outcome::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  crash.join();
  replica->resume();
  primary.restart();
}

TEST_F(ReplicaWait, ARedisThatStopsAnsweringIsUnavailable) {
  auto c = connect();
  replica_wait w(*c, {.replicas = 1, .timeout = 100ms, .reply_margin = 200ms}, &wait_stats);
  const auto session = w.session();
  primary.pause();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(test::run(io, w.confirm(session)), outcome::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  primary.resume();
}

}  // namespace
}  // namespace supportd::redis

// The Redis client against a real redis-server: pipelining, scripts, and Redis failing under it.
#include "redis/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "redis/errc.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::redis {
namespace {

using namespace std::chrono_literals;

class RedisConnection : public ::testing::Test {
 protected:
  void connect(std::chrono::milliseconds timeout = 2s, std::size_t max_pending = 50'000) {
    std::string why;
    auto endpoint = redis::parse_redis_url(server.url(), why);
    ASSERT_TRUE(endpoint) << why;
    conn = std::make_unique<connection>(
        io,
        connection::options{
            .endpoint = *endpoint, .command_timeout = timeout, .max_pending = max_pending},
        &stats);
    conn->start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn->ready(); }, 5s));
  }

  result call(std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> v(args);
    return test::run(io, command_of(v));
  }

  awaitable<result> command_of(std::vector<std::string_view> args) {
    co_return co_await conn->command(args);
  }

  test::redis_server server;
  net::io_context io;
  metrics::registry registry;
  client_metrics stats = client_metrics::create(registry);
  std::unique_ptr<connection> conn;
};

TEST_F(RedisConnection, CommandsAndTypedReplies) {
  connect();
  ASSERT_TRUE(expect_status(call({"SET", "k", "v"}).value(), "OK"));
  EXPECT_EQ(as_string(call({"GET", "k"}).value()).value(), "v");
  EXPECT_EQ(as_optional_string(call({"GET", "missing"}).value()).value(), std::nullopt);
  auto wrong = call({"INCR", "k"});
  ASSERT_TRUE(wrong);
  EXPECT_TRUE(wrong->is_error());  // a server error reply is a value, not a broken connection
  EXPECT_TRUE(expect_status(call({"PING"}).value(), "PONG"));
}

awaitable<void> increment(connection& c, int& ok) {
  std::string_view incr[] = {"INCR", "counter"};
  auto r = co_await c.command(incr);
  if (r && as_integer(*r)) {
    ++ok;
  }
}

TEST_F(RedisConnection, ManyCommandsInFlightShareTheConnection) {
  connect();
  int ok = 0;
  for (int i = 0; i < 2000; ++i) {
    net::co_spawn(io, increment(*conn, ok), net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return ok == 2000; }, 10s));
  EXPECT_EQ(as_integer(call({"GET", "counter"}).value()).error(), errc::unexpected_reply);
  EXPECT_EQ(as_string(call({"GET", "counter"}).value()).value(), "2000");
}

awaitable<result> run_script(connection& c, const script& s) {
  std::string_view keys[] = {"scripted"};
  std::string_view args[] = {"7"};
  co_return co_await c.run(s, keys, args);
}

TEST_F(RedisConnection, ScriptsSurviveAFlushedScriptCache) {
  connect();
  script s("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EXPECT_EQ(as_integer(test::run(io, run_script(*conn, s)).value()).value(), 7);
  ASSERT_TRUE(call({"SCRIPT", "FLUSH"}));
  EXPECT_EQ(as_integer(test::run(io, run_script(*conn, s)).value()).value(), 14);
  // The script cache holds it again: EVALSHA alone works.
  EXPECT_EQ(as_integer(call({"EXISTS", "scripted"}).value()).value(), 1);
  auto loaded = call({"SCRIPT", "EXISTS", s.sha1()});
  EXPECT_EQ(loaded->elements.at(0).integer, 1);
}

awaitable<result> ping(connection& c) {
  std::string_view args[] = {"PING"};
  co_return co_await c.command(args);
}

TEST_F(RedisConnection, FailsFastBeforeConnecting) {
  std::string why;
  connection c(io, connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
               &stats);
  auto started = std::chrono::steady_clock::now();
  auto r = test::run(io, ping(c));
  EXPECT_EQ(r.error(), errc::not_connected);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 100ms);
}

TEST_F(RedisConnection, RecoversAfterRedisIsKilledAndRestarted) {
  connect();
  ASSERT_TRUE(call({"SET", "durable", "yes"}));
  server.kill();
  ASSERT_TRUE(test::run_until(
      io, [&] { return !conn->ready(); }, 2s));
  auto down = call({"PING"});
  EXPECT_TRUE(is_unavailable(down.error())) << down.error().message();

  server.restart();
  ASSERT_TRUE(test::run_until(
      io, [&] { return conn->ready(); }, 5s));
  // appendfsync always: the acknowledged write survived the crash.
  EXPECT_EQ(as_string(call({"GET", "durable"}).value()).value(), "yes");
  EXPECT_GE(stats.reconnects.value(), 1u);
}

TEST_F(RedisConnection, HungRedisTimesOutInsteadOfHanging) {
  connect(300ms);
  server.pause();
  auto started = std::chrono::steady_clock::now();
  auto r = call({"PING"});
  auto waited = std::chrono::steady_clock::now() - started;
  server.resume();
  EXPECT_EQ(r.error(), errc::timeout);
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2s);
  // Once Redis answers again, so does the connection; the late PONG was dropped, not misdelivered.
  ASSERT_TRUE(expect_status(call({"SET", "after", "1"}).value(), "OK"));
  EXPECT_EQ(as_string(call({"GET", "after"}).value()).value(), "1");
}

awaitable<void> ping_into(connection& c, std::vector<error_code>& out) {
  std::string_view args[] = {"PING"};
  auto r = co_await c.command(args);
  out.push_back(r ? error_code{} : r.error());
}

TEST_F(RedisConnection, BoundedInFlightWhileRedisHangs) {
  connect(500ms, 10);
  server.pause();
  std::vector<error_code> outcomes;
  for (int i = 0; i < 15; ++i) {
    net::co_spawn(io, ping_into(*conn, outcomes), net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return outcomes.size() == 15; }, 5s));
  server.resume();
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), errc::overloaded), 5);
  EXPECT_EQ(std::count_if(
                outcomes.begin(), outcomes.end(),
                [](const error_code& ec) { return is_unavailable(ec) && ec != errc::overloaded; }),
            10);
}

TEST_F(RedisConnection, HungRedisIsDroppedAfterRepeatedTimeoutsAndComesBack) {
  connect(200ms);
  server.pause();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(call({"PING"}).error(), errc::timeout);
  }
  // Dropped: no more waiting out deadlines, Redis is reported down at once.
  EXPECT_FALSE(conn->ready());
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(call({"PING"}).error(), errc::not_connected);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 50ms);
  server.resume();
  ASSERT_TRUE(test::run_until(
      io, [&] { return conn->ready(); }, 5s));
  EXPECT_TRUE(expect_status(call({"PING"}).value(), "PONG"));
}

TEST_F(RedisConnection, HostNamesAreResolvedWithoutBlocking) {
  std::string why;
  auto endpoint = redis::parse_redis_url("redis://localhost:" + std::to_string(server.port()), why);
  conn = std::make_unique<connection>(io, connection::options{.endpoint = *endpoint}, &stats);
  conn->start();
  ASSERT_TRUE(test::run_until(
      io, [&] { return conn->ready(); }, 5s));
  EXPECT_TRUE(expect_status(call({"PING"}).value(), "PONG"));
}

}  // namespace
}  // namespace supportd::redis

// The Redis client behind Redis Sentinel: a primary, a replica and three sentinels, all real, on
// loopback. The client finds the primary through the sentinels and follows a failover.
#include <signal.h>

#include <gtest/gtest.h>

#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "support/redis_sentinels.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::redis {
namespace {

using namespace std::chrono_literals;

awaitable<result> call(connection& c, std::vector<std::string_view> args) {
  co_return co_await c.command(args);
}

class RedisSentinel : public ::testing::Test {
 protected:
  std::unique_ptr<connection> connect() {
    std::string why;
    auto sentinels = redis::parse_host_port_list(sentinels_.list(), why);
    EXPECT_TRUE(sentinels) << why;
    // The URL's host is not used: the sentinels name the server.
    auto endpoint = redis::parse_redis_url("redis://unused.invalid/0", why);
    EXPECT_TRUE(endpoint) << why;
    auto c = std::make_unique<connection>(
        io,
        connection::options{
            .endpoint = *endpoint,
            .sentinel = {.sentinels = *sentinels,
                         .master_name = test::redis_sentinels::master_name},
            .command_timeout = 500ms,
            .connect_timeout = 500ms,
            .max_backoff = 200ms,
        },
        &stats);
    c->start();
    return c;
  }

  // The replica is in sync before the sentinels start, so that it can be promoted.
  static void wait_in_sync(const test::redis_server& replica) {
    for (int i = 0; i < 100; ++i) {
      for (const auto& line : replica.cli({"INFO", "replication"})) {
        if (line.starts_with("master_link_status:up")) {
          return;
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "the replica did not sync";
  }

  test::redis_server primary;
  test::redis_server replica{{"--replicaof", "127.0.0.1", std::to_string(primary.port())}};
  bool synced = (wait_in_sync(replica), true);
  test::redis_sentinels sentinels_{primary.port()};
  net::io_context io;
  metrics::registry registry;
  client_metrics stats = client_metrics::create(registry);
};

TEST_F(RedisSentinel, WritesGoToThePrimaryTheSentinelsName) {
  auto c = connect();
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->ready(); }, 5s));
  ASSERT_TRUE(test::run(io, call(*c, {"SET", "where", "primary"})));
  EXPECT_EQ(primary.cli({"GET", "where"}), std::vector<std::string>{"primary"});
}

TEST_F(RedisSentinel, FollowsAFailoverToThePromotedReplica) {
  auto c = connect();
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->ready(); }, 5s));
  ASSERT_TRUE(test::run(io, call(*c, {"SET", "before", "1"})));
  // The replica has it before the primary dies (each WAIT within the 500 ms command deadline).
  std::int64_t replicated = 0;
  for (int attempt = 0; attempt < 20 && replicated < 1; ++attempt) {
    auto r = test::run(io, call(*c, {"WAIT", "1", "200"}));
    if (r && as_integer(*r)) {
      replicated = *as_integer(*r);
    }
  }
  ASSERT_EQ(replicated, 1);
  const auto generation = c->generation();
  primary.kill();

  // Until the sentinels promote the replica, commands fail as "unavailable", never land on it
  // while it is a replica; then the client is back on its own, on the new primary.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  bool written = false;
  while (!written && std::chrono::steady_clock::now() < deadline) {
    auto r = test::run(io, call(*c, {"SET", "after", "1"}));
    if (r && !r->is_error()) {
      written = true;
    } else if (r) {
      ADD_FAILURE() << "a write reached a server that refused it: " << r->text;
      break;
    } else {
      EXPECT_TRUE(is_unavailable(r.error())) << r.error().message();
      test::run_for(io, 100ms);
    }
  }
  ASSERT_TRUE(written);
  EXPECT_GT(c->generation(), generation);
  EXPECT_EQ(sentinels_.primary_port(), replica.port());
  EXPECT_EQ(replica.cli({"GET", "after"}), std::vector<std::string>{"1"});
  EXPECT_EQ(replica.cli({"GET", "before"}), std::vector<std::string>{"1"});
}

TEST_F(RedisSentinel, ADemotedPrimaryIsLeftAtItsFirstReadonlyAnswer) {
  auto c = connect();
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->ready(); }, 5s));
  // The primary becomes a replica behind the client's back (as after a partition heals).
  primary.cli({"REPLICAOF", "127.0.0.1", std::to_string(replica.port())});
  replica.cli({"REPLICAOF", "NO", "ONE"});
  auto first = test::run(io, call(*c, {"SET", "k", "1"}));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error(), errc::connection_lost);
  EXPECT_TRUE(test::run_until(
      io, [&] { return !c->ready(); }, 1s));
}

}  // namespace
}  // namespace supportd::redis

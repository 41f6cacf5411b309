// The outbound messages' queue against a real redis-server: claimed once under a lease, taken
// over when the lease runs out, settled only by the lease's holder, replayed from the dead.
#include "notify/outbox_store.hpp"

#include <gtest/gtest.h>

#include "redis/connection.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::notify {
namespace {

using namespace std::chrono_literals;
using kind = message_outcome::kind;

class OutboxStore : public ::testing::Test {
 public:
  void SetUp() override {
    conn.start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn.ready(); }, 5s));
  }

  // What a producer's script does: the item, and its place in the due set.
  void queue(std::string_view id, std::string_view text, std::int64_t due_ms) {
    const auto due = std::to_string(due_ms);
    ASSERT_TRUE(server.cli({"HSET", "t:msg:items", std::string(id), std::string(text)}).size());
    ASSERT_TRUE(server.cli({"ZADD", "t:msg:due", due, std::string(id)}).size());
  }

  std::vector<std::string> ids(std::int64_t now_ms, std::int64_t lease_until_ms) {
    auto claimed = test::run(io, store.claim(now_ms, lease_until_ms, 10));
    EXPECT_TRUE(claimed);
    std::vector<std::string> out;
    if (claimed) {
      for (const auto& m : *claimed) {
        out.push_back(m.id);
      }
    }
    return out;
  }

  test::redis_server server;
  net::io_context io;
  std::string why;
  redis::connection conn{
      io, redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
      nullptr};
  outbox_store store{conn, "t:"};
};

TEST_F(OutboxStore, AMessageIsClaimedOnceAndGoesWhenSent) {
  queue("pm_1", "text 1", 1000);
  queue("pm_2", "text 2", 9000);
  auto claimed = *test::run(io, store.claim(5000, 65000, 10));
  ASSERT_EQ(claimed.size(), 1u);  // pm_2 is not due yet
  EXPECT_EQ(claimed[0].id, "pm_1");
  EXPECT_EQ(claimed[0].text, "text 1");
  EXPECT_EQ(claimed[0].failed_attempts, 0);
  EXPECT_EQ(ids(6000, 66000), std::vector<std::string>{});  // leased: nobody else gets it
  EXPECT_EQ(*test::run(io, store.settle({{"pm_1", 65000, kind::done, 0, 0, ""}}, 7000)), 1);
  // pm_1 is gone, not taken over; pm_2 is due now.
  EXPECT_EQ(ids(70000, 130000), std::vector<std::string>{"pm_2"});
  EXPECT_EQ(server.cli({"HEXISTS", "t:msg:items", "pm_1"}), std::vector<std::string>{"0"});
}

TEST_F(OutboxStore, ALeaseThatRunsOutIsTakenOverAndTheFirstHolderCannotSettle) {
  queue("pm_1", "text 1", 1000);
  ASSERT_EQ(ids(5000, 65000), std::vector<std::string>{"pm_1"});
  ASSERT_EQ(ids(65000, 125000), std::vector<std::string>{"pm_1"});  // the first sender died
  // The first sender comes back late: its outcome is not recorded; the second's is.
  EXPECT_EQ(*test::run(io, store.settle({{"pm_1", 65000, kind::done, 0, 0, ""}}, 66000)), 0);
  EXPECT_EQ(*test::run(io, store.settle({{"pm_1", 125000, kind::retry, 200000, 1, "503"}}, 67000)),
            1);
  auto again = *test::run(io, store.claim(200000, 260000, 10));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].failed_attempts, 1);
}

TEST_F(OutboxStore, CountsSayWhereEachMessageIs) {
  queue("pm_1", "text 1", 1000);
  queue("pm_2", "text 2", 2000);
  queue("pm_3", "text 3", 9000);
  auto before = *test::run(io, store.counts(5000));
  EXPECT_EQ(before.queued, 3);
  EXPECT_EQ(before.due, 2);
  EXPECT_EQ(before.sending, 0);
  ASSERT_EQ(ids(5000, 65000), (std::vector<std::string>{"pm_1", "pm_2"}));
  auto after = *test::run(io, store.counts(5000));
  EXPECT_EQ(after.queued, 1);
  EXPECT_EQ(after.due, 0);
  EXPECT_EQ(after.sending, 2);
  EXPECT_EQ(after.dead, 0);
}

TEST_F(OutboxStore, ADeadLetterWaitsForAReplay) {
  queue("pm_1", "text 1", 1000);
  ASSERT_EQ(ids(5000, 65000), std::vector<std::string>{"pm_1"});
  ASSERT_EQ(*test::run(io, store.settle({{"pm_1", 65000, kind::dead, 0, 10, "410 Gone"}}, 6000)),
            1);
  EXPECT_EQ(ids(1'000'000, 1'060'000), std::vector<std::string>{});
  auto counts = *test::run(io, store.counts(6000));
  EXPECT_EQ(counts.queued, 0);
  EXPECT_EQ(counts.sending, 0);
  EXPECT_EQ(counts.dead, 1);
  auto letters = *test::run(io, store.dead_letters(100));
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].id, "pm_1");
  EXPECT_EQ(letters[0].died_at_ms, 6000);
  EXPECT_EQ(letters[0].failed_attempts, 10);
  EXPECT_EQ(letters[0].last_error, "410 Gone");

  EXPECT_FALSE(*test::run(io, store.replay("pm_2", 7000)));
  EXPECT_TRUE(*test::run(io, store.replay("pm_1", 7000)));
  EXPECT_TRUE(test::run(io, store.dead_letters(100))->empty());
  EXPECT_FALSE(*test::run(io, store.replay("pm_1", 7000)));  // replayed already
  auto replayed = *test::run(io, store.claim(8000, 68000, 10));
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].failed_attempts, 0);
  EXPECT_EQ(replayed[0].text, "text 1");
}

}  // namespace
}  // namespace supportd::notify

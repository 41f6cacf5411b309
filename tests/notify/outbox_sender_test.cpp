// The outbound messages' sender against a real redis-server, with a producer and an email
// service that tests stand in for: sent once and gone, retried on the Standard Webhooks
// schedule, dead-lettered after the last attempt or on 410, finished unsent when there is
// nothing left to send.
#include "notify/outbox_sender.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "redis/connection.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::notify {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t start_ms = 1'800'000'000'000;

// Makes a message's text its body; a text in `erased` has nothing left to send.
class echo_renderer final : public message_renderer {
 public:
  awaitable<boost::system::result<std::optional<delivery>>> render(const claimed_message& m,
                                                                   std::int64_t now_ms) override {
    if (erased.contains(m.text)) {
      co_return std::optional<delivery>{};
    }
    co_return std::optional<delivery>{delivery{m.id, now_ms / 1000, m.text}};
  }
  std::set<std::string> erased;
};

// Answers each attempt with `answer`, and records what it got.
class stand_in_service final : public event_sender {
 public:
  awaitable<delivery_outcome> send(const delivery& d) override {
    received.push_back(d);
    co_return answer;
  }
  delivery_outcome answer{delivery_outcome::kind::delivered, 204, std::nullopt, ""};
  std::vector<delivery> received;
};

class OutboxSender : public ::testing::Test {
 public:
  void SetUp() override {
    conn.start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn.ready(); }, 5s));
  }

  void queue(const std::string& id, const std::string& text) {
    server.cli({"HSET", "t:msg:items", id, text});
    server.cli({"ZADD", "t:msg:due", std::to_string(now), id});
  }

  std::optional<std::size_t> round() { return test::run(io, sender.round()); }

  test::redis_server server;
  net::io_context io;
  std::string why;
  redis::connection conn{
      io, redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
      nullptr};
  std::int64_t now = start_ms;
  outbox_store store{conn, "t:"};
  echo_renderer renderer;
  stand_in_service service;
  outbox_sender sender{store, renderer, service,
                       outbox_options{.batch = 64, .now_ms = [this] { return now; }}};
};

TEST_F(OutboxSender, AMessageIsSentOnceWithItsIdAndIsGone) {
  queue("pm_1", R"({"type":"pledge.thank_you"})");
  EXPECT_EQ(round(), 1u);
  ASSERT_EQ(service.received.size(), 1u);
  EXPECT_EQ(service.received[0].webhook_id, "pm_1");
  EXPECT_EQ(service.received[0].body, R"({"type":"pledge.thank_you"})");
  now += 3'600'000;
  EXPECT_EQ(round(), 0u);
  EXPECT_EQ(service.received.size(), 1u);
  EXPECT_EQ(server.cli({"EXISTS", "t:msg:items", "t:msg:lease"}), std::vector<std::string>{"0"});
}

TEST_F(OutboxSender, AFailureIsRetriedOnTheScheduleWithTheSameIdThenDeadLettered) {
  queue("pm_1", "body");
  service.answer = {delivery_outcome::kind::failed, 503, std::nullopt, "503"};
  EXPECT_EQ(round(), 0u);
  now += 4'000;  // the second attempt is due 5 s after the first failure
  EXPECT_EQ(round(), 0u);
  EXPECT_EQ(service.received.size(), 1u);
  now += 1'000;
  round();
  EXPECT_EQ(service.received.size(), 2u);
  EXPECT_EQ(service.received[1].webhook_id, "pm_1");
  // Eight more failures, each after its wait (at most a day): dead after the tenth.
  for (int i = 0; i < 8; ++i) {
    now += 86'400'000;
    round();
  }
  EXPECT_EQ(service.received.size(), 10u);
  EXPECT_EQ(server.cli({"ZRANGE", "t:msg:dead", "0", "-1"}), std::vector<std::string>{"pm_1"});
  now += 86'400'000;
  round();
  EXPECT_EQ(service.received.size(), 10u);
  // Replayed by an admin: sent again, and delivered this time.
  service.answer = {delivery_outcome::kind::delivered, 204, std::nullopt, ""};
  ASSERT_TRUE(*test::run(io, store.replay("pm_1", now)));
  EXPECT_EQ(round(), 1u);
  EXPECT_EQ(service.received.size(), 11u);
}

TEST_F(OutboxSender, GoneIsADeadLetterAtOnce) {
  queue("pm_1", "body");
  service.answer = {delivery_outcome::kind::gone, 410, std::nullopt, "410 Gone"};
  round();
  EXPECT_EQ(server.cli({"ZRANGE", "t:msg:dead", "0", "-1"}), std::vector<std::string>{"pm_1"});
  EXPECT_EQ(server.cli({"HGET", "t:msg:errors", "pm_1"}), std::vector<std::string>{"410 Gone"});
}

TEST_F(OutboxSender, NothingLeftToSendIsFinishedUnsent) {
  renderer.erased.insert("about an erased reader");
  queue("pm_1", "about an erased reader");
  EXPECT_EQ(round(), 1u);
  EXPECT_TRUE(service.received.empty());
  EXPECT_EQ(server.cli({"EXISTS", "t:msg:items", "t:msg:due", "t:msg:lease", "t:msg:dead"}),
            std::vector<std::string>{"0"});
}

TEST_F(OutboxSender, AttemptsAndTheQueueAreCountedForPrometheus) {
  metrics::registry registry;
  auto counted = outbox_metrics::create(registry);
  outbox_sender measured{
      store, renderer, service,
      outbox_options{.batch = 64, .now_ms = [this] { return now; }, .metrics = &counted}};
  auto shows = [&](std::string_view line) {
    const auto exposition = registry.render();
    EXPECT_NE(exposition.find(line), std::string::npos) << line << " in\n" << exposition;
  };
  renderer.erased.insert("about an erased reader");
  queue("pm_1", "body");
  queue("pm_2", "about an erased reader");
  queue("pm_3", "body");
  server.cli({"ZADD", "t:msg:due", std::to_string(now + 60'000), "pm_4"});
  server.cli({"HSET", "t:msg:items", "pm_4", "later"});
  // The gauges are read at the start of a round, before its claim.
  EXPECT_EQ(test::run(io, measured.round()), 3u);
  shows("supportd_messages_queued 4\n");
  shows("supportd_message_backlog 3\n");
  shows(R"(supportd_message_deliveries_total{outcome="delivered"} 2)");
  shows(R"(supportd_message_deliveries_total{outcome="skipped"} 1)");

  now += 60'000;
  service.answer = {delivery_outcome::kind::gone, 410, std::nullopt, "410 Gone"};
  EXPECT_EQ(test::run(io, measured.round()), 0u);
  shows(R"(supportd_message_deliveries_total{outcome="gone"} 1)");
  now += 1'000;
  EXPECT_EQ(test::run(io, measured.round()), 0u);
  shows("supportd_messages_queued 0\n");
  shows("supportd_message_dead_letters 1\n");
}

}  // namespace
}  // namespace supportd::notify

// Sign-ups through the real book and store on a real redis-server: a new pending reminder due
// when asked; past the hourly limit an address is refused with when to try again, and nothing
// is written; the count is kept under a keyed hash, never the address; a Redis that does not
// answer, and replicas that do not confirm, are told apart.
#include "reminders/reminder_signup.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "redis/connection.hpp"
#include "redis/replica_wait.hpp"
#include "reminders/reminder_id.hpp"
#include "reminders/reminder_store.hpp"
#include "security/data_keys.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::reminders {
namespace {

using namespace std::chrono_literals;
using kind = signup_outcome::kind;

// 32 bytes of 'k', base64.
constexpr std::string_view key_file = "k1:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n";
constexpr std::string_view link_secret = "a-link-secret-of-at-least-32-characters";
constexpr std::int64_t now = 1'800'000'000;  // 2027-01-15

const security::data_keys& keys() {
  static const auto parsed = std::get<security::data_keys>(security::data_keys::parse(key_file));
  return parsed;
}

valid_reminder reader(std::string email, std::string campaign = "winter") {
  valid_reminder r;
  r.email = std::move(email);
  r.campaign = std::move(campaign);
  r.component = "banner";
  r.page_url = "https://news.example/world/2027/jan/15/an-article";
  r.locale = "en-GB";
  r.consent_version = "2026-11";
  r.due_unix = now + 7 * 24 * 3600;
  r.time_zone = "UTC";
  return r;
}

class ReminderSignup : public ::testing::Test {
 protected:
  // A worker's sign-up: `per_hour` sign-ups per address, waiting for `replicas` replicas.
  void start(unsigned per_hour, int replicas = 0) {
    std::string why;
    conn = std::make_unique<redis::connection>(
        io,
        redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why),
                                   .command_timeout = 500ms},
        nullptr);
    conn->start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn->ready(); }, 5s));
    replication = std::make_unique<redis::replica_wait>(
        *conn,
        redis::replica_wait::options{
            .replicas = replicas, .timeout = 200ms, .reply_margin = 500ms, .fence_key = "t:fence"},
        nullptr);
    store = std::make_unique<reminder_store>(*conn, "t:");
    book = std::make_unique<reminder_book>(*store, keys(), link_secret, 24h);
    signup = std::make_unique<reminder_signup>(*book, *conn, "t:", per_hour, *replication);
  }
  void TearDown() override {
    if (conn) {
      conn->close();
    }
  }

  signup_outcome sign_up(const valid_reminder& r) { return test::run(io, signup->sign_up(r, now)); }
  std::vector<std::string> keys_like(const std::string& pattern) {
    auto found = server.cli({"--scan", "--pattern", pattern});
    std::sort(found.begin(), found.end());
    return found;
  }
  std::size_t due_count() { return std::stoul(server.cli({"ZCARD", "t:rem:due"}).at(0)); }

  test::redis_server server;
  net::io_context io;
  std::unique_ptr<redis::connection> conn;
  std::unique_ptr<redis::replica_wait> replication;
  std::unique_ptr<reminder_store> store;
  std::unique_ptr<reminder_book> book;
  std::unique_ptr<reminder_signup> signup;
};

TEST_F(ReminderSignup, ASignUpIsANewPendingReminderDueWhenTheReaderAsked) {
  start(10);
  const auto r = reader("reader@example.org");
  auto first = sign_up(r);
  ASSERT_EQ(first.what, kind::signed_up);
  EXPECT_EQ(first.done.due_unix, r.due_unix);
  EXPECT_TRUE(first.done.id.starts_with(reader_part(keys(), r.email)));
  auto found = test::run(io, store->find(first.done.id));
  ASSERT_TRUE(found && *found);
  const auto& value = (*found)->value;
  EXPECT_EQ(value.status(), v1::Reminder::PENDING);
  EXPECT_EQ(value.campaign(), "winter");
  EXPECT_EQ(value.due_at_unix(), r.due_unix);
  EXPECT_EQ(keys().open(value.sealed_email(), first.done.id), r.email);
  EXPECT_EQ(server.cli({"ZSCORE", "t:rem:due", first.done.id}),
            std::vector<std::string>{std::to_string(r.due_unix * 1000)});

  // The same address again is a reminder of its own.
  auto second = sign_up(r);
  ASSERT_EQ(second.what, kind::signed_up);
  EXPECT_NE(second.done.id, first.done.id);
  EXPECT_EQ(due_count(), 2u);
}

TEST_F(ReminderSignup, PastTheHourlyLimitAnAddressIsRefusedAndNothingIsWritten) {
  start(2);
  EXPECT_EQ(sign_up(reader("reader@example.org", "winter")).what, kind::signed_up);
  EXPECT_EQ(sign_up(reader("reader@example.org", "spring")).what, kind::signed_up);
  auto refused = sign_up(reader("reader@example.org", "summer"));
  ASSERT_EQ(refused.what, kind::reader_limited);
  EXPECT_GE(refused.retry_after_seconds, 1);
  EXPECT_LE(refused.retry_after_seconds, 3600);
  EXPECT_TRUE(refused.done.id.empty());
  EXPECT_EQ(due_count(), 2u);

  // Another reader is counted apart.
  EXPECT_EQ(sign_up(reader("neighbour@example.org", "summer")).what, kind::signed_up);
  EXPECT_EQ(due_count(), 3u);

  // One count per address, named by 32 hex digits of a keyed hash: no address, nor its
  // plain hash, in any key or value.
  auto counts = keys_like("t:rate:reminder-email:*");
  ASSERT_EQ(counts.size(), 2u);
  for (const auto& key : counts) {
    const std::string_view rest = std::string_view(key).substr(22);
    const auto who = rest.substr(0, rest.find(':'));
    EXPECT_EQ(who.size(), 32u) << key;
    EXPECT_EQ(who.find_first_not_of("0123456789abcdef"), std::string_view::npos) << key;
  }
  for (const auto& key : keys_like("*")) {
    EXPECT_EQ(key.find("example"), std::string::npos) << key;
  }
  const auto dump = server.cli({"--no-raw", "EVAL",
                                "local out = {} for _, k in ipairs(redis.call('KEYS', '*')) do "
                                "local t = redis.call('TYPE', k).ok "
                                "if t == 'string' then table.insert(out, redis.call('GET', k)) "
                                "elseif t == 'hash' then for _, v in ipairs(redis.call('HGETALL', "
                                "k)) do table.insert(out, v) end end end return out",
                                "0"});
  ASSERT_FALSE(dump.empty());
  for (const auto& line : dump) {
    EXPECT_EQ(line.find("example.org"), std::string::npos) << line;
  }
}

TEST_F(ReminderSignup, WithoutALimitEverySignUpIsTakenAndNothingIsCounted) {
  start(0);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(sign_up(reader("reader@example.org")).what, kind::signed_up) << i;
  }
  EXPECT_EQ(due_count(), 12u);
  EXPECT_TRUE(keys_like("t:rate:*").empty());
}

TEST_F(ReminderSignup, ARedisThatDoesNotAnswerMakesEverySignUpUnavailable) {
  start(10);
  server.kill();
  // Refused at the count, and, without a limit, at the write.
  EXPECT_EQ(sign_up(reader("reader@example.org")).what, kind::unavailable);
  signup = std::make_unique<reminder_signup>(*book, *conn, "t:", 0, *replication);
  EXPECT_EQ(sign_up(reader("reader@example.org")).what, kind::unavailable);
}

TEST_F(ReminderSignup, AWriteNoReplicaConfirmsIsNotAcknowledgedThoughStored) {
  // One replica asked for and none there: WAIT comes back short after its timeout.
  start(10, 1);
  auto unconfirmed = sign_up(reader("reader@example.org"));
  EXPECT_EQ(unconfirmed.what, kind::not_replicated);
  EXPECT_TRUE(unconfirmed.done.id.empty());
  // The primary has it: sent again, the reader has two, and delivery sends them one.
  EXPECT_EQ(due_count(), 1u);
}

}  // namespace
}  // namespace supportd::reminders

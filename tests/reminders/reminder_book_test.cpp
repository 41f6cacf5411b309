// The admin's replay of a reminder dead letter, through the real book and store on a real
// redis-server: pending again and due now with its failures forgotten, out of the dead letters;
// nothing else is replayed; of two replays of one letter at once, one wins and the other is told
// the letter changed.
#include "reminders/reminder_book.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <future>

#include "metrics/registry.hpp"
#include "redis/connection.hpp"
#include "reminders/reminder_store.hpp"
#include "reports/report_metrics.hpp"
#include "security/data_keys.hpp"
#include "support/redis_fixture.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::reminders {
namespace {

using namespace std::chrono_literals;

// 32 bytes of 'k', base64.
constexpr std::string_view key_file = "k1:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n";
constexpr std::string_view link_secret = "a-link-secret-of-at-least-32-characters";
constexpr std::int64_t signed_up_at = 1'800'000'000;  // 2027-01-15
constexpr std::int64_t died_at = signed_up_at + 3600;
constexpr std::int64_t replayed_at = died_at + 600;

const security::data_keys& keys() {
  static const auto parsed = std::get<security::data_keys>(security::data_keys::parse(key_file));
  return parsed;
}

valid_reminder reader(std::string email) {
  valid_reminder r;
  r.email = std::move(email);
  r.campaign = "winter";
  r.component = "banner";
  r.page_url = "https://news.example/world/2027/jan/15/an-article";
  r.locale = "en-GB";
  r.consent_version = "2026-11";
  r.due_unix = signed_up_at + 60;
  r.time_zone = "UTC";
  return r;
}

class ReminderReplay : public test::redis_fixture {
 protected:
  void SetUp() override {
    test::redis_fixture::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    store = std::make_unique<reminder_store>(*conn, "t:");
    book = std::make_unique<reminder_book>(*store, reminders::keys(), link_secret, 24h);
  }
  void TearDown() override { conn->close(); }

  std::string sign_up(const valid_reminder& r) {
    auto done = test::run(io, book->sign_up(r, signed_up_at));
    EXPECT_TRUE(done);
    return done ? done->id : std::string();
  }
  stored_reminder stored(const std::string& id) {
    auto found = test::run(io, store->find(id));
    EXPECT_TRUE(found && *found) << id;
    return found && *found ? std::move(**found) : stored_reminder{};
  }
  // As the scheduler leaves a reminder whose every attempt failed.
  void kill(const std::string& id) {
    auto read = stored(id);
    reminder_change change{id, read.bytes, read.value, {}};
    change.next.set_status(v1::Reminder::DEAD);
    change.next.set_failed_attempts(8);
    change.next.set_last_error("410 Gone");
    change.next.set_updated_at_unix(died_at);
    change.where.dead = true;
    change.where.dead_at_ms = died_at * 1000;
    auto written = test::run(io, store->replace(std::move(change)));
    ASSERT_TRUE(written && *written);
  }
  std::vector<std::string> dead_ids() {
    auto letters = test::run(io, store->dead_letters(100));
    EXPECT_TRUE(letters);
    std::vector<std::string> ids;
    for (const auto& l : letters ? *letters : std::vector<stored_reminder>{}) {
      ids.push_back(l.id);
    }
    return ids;
  }
  replay_outcome replay(std::string_view id) {
    auto outcome = test::run(io, book->replay_dead(id, replayed_at));
    EXPECT_TRUE(outcome);
    return outcome ? *outcome : replay_outcome::changed;
  }
  std::vector<std::string> due_score(const std::string& id) {
    return server.cli({"ZSCORE", "t:rem:due", id});
  }

  std::unique_ptr<reminder_store> store;
  std::unique_ptr<reminder_book> book;
};

TEST_F(ReminderReplay, ADeadLetterReplayedIsPendingAndDueNowWithItsFailuresForgotten) {
  const auto id = sign_up(reader("reader@example.org"));
  kill(id);
  ASSERT_EQ(dead_ids(), std::vector<std::string>{id});
  EXPECT_TRUE(due_score(id).empty() || due_score(id).front().empty());

  EXPECT_EQ(replay(id), replay_outcome::replayed);
  const auto after = stored(id).value;
  EXPECT_EQ(after.status(), v1::Reminder::PENDING);
  EXPECT_EQ(after.failed_attempts(), 0u);
  EXPECT_EQ(after.last_error(), "");
  EXPECT_EQ(after.updated_at_unix(), replayed_at);
  EXPECT_EQ(after.campaign(), "winter");
  // Still the reader's: the delivery can open the address.
  EXPECT_EQ(reminders::keys().open(after.sealed_email(), id), "reader@example.org");
  EXPECT_EQ(due_score(id), std::vector<std::string>{std::to_string(replayed_at * 1000)});
  EXPECT_TRUE(dead_ids().empty());

  // Replayed once: no longer a dead letter.
  EXPECT_EQ(replay(id), replay_outcome::not_found);
  EXPECT_EQ(due_score(id), std::vector<std::string>{std::to_string(replayed_at * 1000)});
}

TEST_F(ReminderReplay, OnlyDeadLettersAreReplayed) {
  const auto pending = sign_up(reader("reader@example.org"));
  const auto before = stored(pending).bytes;
  EXPECT_EQ(replay(pending), replay_outcome::not_found);
  EXPECT_EQ(stored(pending).bytes, before);
  EXPECT_EQ(due_score(pending),
            std::vector<std::string>{std::to_string((signed_up_at + 60) * 1000)});

  // A well-formed id no reminder has, and what is no id at all.
  std::string unknown = pending;
  unknown.back() = unknown.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(replay(unknown), replay_outcome::not_found);
  for (std::string_view not_an_id : {"", "x", "../../etc", "AAAAAAAAAAAAAAAAAAAA*"}) {
    EXPECT_EQ(replay(not_an_id), replay_outcome::not_found) << not_an_id;
  }
  EXPECT_EQ(server.cli({"ZCARD", "t:rem:due"}), std::vector<std::string>{"1"});
}

TEST_F(ReminderReplay, OfTwoReplaysOfOneLetterAtOnceOneWinsAndTheOtherIsToldItChanged) {
  const auto id = sign_up(reader("reader@example.org"));
  kill(id);
  // Both read the dead letter before either writes (one connection answers in order).
  auto first = net::co_spawn(io, book->replay_dead(id, replayed_at), net::use_future);
  auto second = net::co_spawn(io, book->replay_dead(id, replayed_at + 1), net::use_future);
  ASSERT_TRUE(test::run_until(
      io,
      [&] {
        return first.wait_for(0s) == std::future_status::ready &&
               second.wait_for(0s) == std::future_status::ready;
      },
      5s));
  auto a = first.get();
  auto b = second.get();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, replay_outcome::replayed);
  EXPECT_EQ(*b, replay_outcome::changed);
  // The winner's write stands.
  EXPECT_EQ(stored(id).value.updated_at_unix(), replayed_at);
  EXPECT_EQ(due_score(id), std::vector<std::string>{std::to_string(replayed_at * 1000)});
}

// Sign-ups and unsubscribes counted in the reader-revenue report by the scripts that write them:
// once each, on the day they happened, under the reminder's campaign, component and variant.
using ReminderReport = ReminderReplay;

TEST_F(ReminderReport, SignUpsAndUnsubscribesAreCountedOnceOnTheirDay) {
  metrics::registry registry;
  reports::report_metrics report(registry, {"winter"});
  store = std::make_unique<reminder_store>(*conn, "t:", &report);
  book = std::make_unique<reminder_book>(*store, reminders::keys(), link_secret, 24h);
  auto from_b = reader("reader@example.org");
  from_b.variant = "b";
  const auto first = sign_up(from_b);
  sign_up(from_b);
  sign_up(reader("other@example.org"));

  // The reader's unsubscribe stops both of their reminders for the campaign; again, nothing.
  auto stopped = test::run(io, book->unsubscribe(first, signed_up_at + 10));
  ASSERT_TRUE(stopped);
  EXPECT_EQ(*stopped, stop_outcome::stopped);
  auto again = test::run(io, book->unsubscribe(first, signed_up_at + 20));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, stop_outcome::already_stopped);

  const std::string day = "t:report:2027-01-15";
  auto flat = server.cli({"HGETALL", day});
  std::map<std::string, std::string> counts;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    counts[flat[i]] = flat[i + 1];
  }
  EXPECT_EQ(counts, (std::map<std::string, std::string>{
                        {"winter|banner|b|||reminders_signed_up", "2"},
                        {"winter|banner||||reminders_signed_up", "1"},
                        {"winter|banner|b|||reminders_unsubscribed", "2"}}));
  // Kept until 400 days after the day ends (2027-01-16T00:00:00Z, 1_800_057_600), counted from
  // the last write (the unsubscribe, at signed_up_at + 10).
  const auto ttl = std::stoll(server.cli({"TTL", day}).at(0));
  const std::int64_t kept = 1'800'057'600 + 400 * 86'400 - (signed_up_at + 10);
  EXPECT_LE(ttl, kept);
  EXPECT_GT(ttl, kept - 10);
  const auto exposition = registry.render();
  EXPECT_NE(exposition.find(R"(supportd_report_events_total{counter="reminders_signed_up",)"
                            R"(campaign="winter",component="banner"} 3)"),
            std::string::npos)
      << exposition;
  EXPECT_NE(exposition.find(R"(supportd_report_events_total{counter="reminders_unsubscribed",)"
                            R"(campaign="winter",component="banner"} 2)"),
            std::string::npos)
      << exposition;
}

}  // namespace
}  // namespace supportd::reminders

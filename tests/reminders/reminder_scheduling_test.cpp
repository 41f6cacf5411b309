// Reminders through the real store and scheduler on a real redis-server, with an injected clock
// and a recording stand-in for the site's email service: each due reminder delivered once even
// with two schedulers racing; a hung scheduler's batch taken over after its lease, with the same
// webhook-id; an unsubscribe between claim and send wins; failures retried on the Standard
// Webhooks schedule; sign-ups, cancellation and erasure keep one reminder per reader and campaign.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "metrics/registry.hpp"
#include "notify/event_sender.hpp"
#include "redis/connection.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_id.hpp"
#include "reminders/reminder_message.hpp"
#include "reminders/reminder_metrics.hpp"
#include "reminders/reminder_scheduler.hpp"
#include "reminders/reminder_store.hpp"
#include "reminders/schedule.hpp"
#include "reminders/time_zone.hpp"
#include "security/data_keys.hpp"
#include "security/secrets.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::reminders {
namespace {

using namespace std::chrono_literals;

// 32 bytes of 'k', base64.
constexpr std::string_view key_file = "k1:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n";
constexpr std::string_view link_secret = "a-link-secret-of-at-least-32-characters";
constexpr std::int64_t start_ms = 1'800'000'000'000;  // 2027-01-15

// Records what it is sent. Thread-safe. `answer` decides each attempt's outcome.
class recording_sender final : public notify::event_sender {
 public:
  awaitable<notify::delivery_outcome> send(const notify::delivery& d) override {
    int attempt = 0;
    {
      std::lock_guard lock(mutex_);
      attempt = ++attempts_[d.webhook_id];
      bodies_[d.webhook_id] = d.body;
    }
    if (hang) {
      // A scheduler that stops here forever, as a killed or frozen process would.
      net::steady_timer never(co_await net::this_coro::executor,
                              net::steady_timer::time_point::max());
      co_await never.async_wait(net::as_tuple(net::use_awaitable));
    }
    if (answer) {
      co_return answer(d, attempt);
    }
    notify::delivery_outcome delivered;
    delivered.what = notify::delivery_outcome::kind::delivered;
    co_return delivered;
  }

  int attempts(const std::string& webhook_id) const {
    std::lock_guard lock(mutex_);
    auto it = attempts_.find(webhook_id);
    return it == attempts_.end() ? 0 : it->second;
  }
  std::size_t distinct() const {
    std::lock_guard lock(mutex_);
    return attempts_.size();
  }
  int total() const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [id, count] : attempts_) {
      n += count;
    }
    return n;
  }
  std::map<std::string, int> all() const {
    std::lock_guard lock(mutex_);
    return attempts_;
  }
  std::string body(const std::string& webhook_id) const {
    std::lock_guard lock(mutex_);
    return bodies_.at(webhook_id);
  }

  std::function<notify::delivery_outcome(const notify::delivery&, int attempt)> answer;
  bool hang = false;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> attempts_;
  std::map<std::string, std::string> bodies_;
};

std::string text(const boost::json::object& o, std::string_view key) {
  return std::string(o.at(key).as_string());
}

const security::data_keys& keys() {
  static const auto parsed = std::get<security::data_keys>(security::data_keys::parse(key_file));
  return parsed;
}

valid_reminder reader(int n, std::string campaign = "spring26") {
  valid_reminder r;
  r.email = "reader" + std::to_string(n) + "@example.org";
  r.campaign = std::move(campaign);
  r.component = "banner";
  r.page_url = "https://news.example/world/2027/jan/15/an-article";
  r.locale = "en-GB";
  r.consent_version = "2026-11";
  r.due_unix = start_ms / 1000 + 60;
  r.time_zone = "UTC";
  return r;
}

// One scheduler with its own io_context and Redis connection, as one replica's worker has.
struct replica {
  replica(const std::string& url, recording_sender& sender, std::atomic<std::int64_t>& clock,
          reminder_metrics* metrics = nullptr) {
    std::string why;
    conn = std::make_unique<redis::connection>(
        io, redis::connection::options{.endpoint = *redis::parse_redis_url(url, why)}, nullptr);
    conn->start();
    test::run_until(
        io, [&] { return conn->ready(); }, 5s);
    store = std::make_unique<reminder_store>(*conn, "t:");
    book = std::make_unique<reminder_book>(*store, keys(), link_secret, 24h);
    scheduler = std::make_unique<reminder_scheduler>(
        *store, *book, sender, metrics,
        scheduler_options{.batch = 100,
                          .lease = 60s,
                          .idle_poll = 20ms,
                          .public_url = "https://support.news.example",
                          .give_url = "https://news.example/support",
                          .now_ms = [&clock] { return clock.load(); }});
  }
  ~replica() {
    scheduler.reset();
    conn->close();
  }

  template <class T>
  T run(awaitable<T> work) {
    return test::run(io, std::move(work));
  }

  net::io_context io;
  std::unique_ptr<redis::connection> conn;
  std::unique_ptr<reminder_store> store;
  std::unique_ptr<reminder_book> book;
  std::unique_ptr<reminder_scheduler> scheduler;
};

class ReminderScheduling : public ::testing::Test {
 protected:
  replica& primary() { return *replicas.front(); }
  replica& add_replica() {
    replicas.push_back(std::make_unique<replica>(server.url(), sender, clock, &stats));
    return *replicas.back();
  }
  void SetUp() override { add_replica(); }

  std::string sign_up(const valid_reminder& r) {
    auto done = primary().run(primary().book->sign_up(r, clock.load() / 1000));
    EXPECT_TRUE(done);
    return done ? done->id : std::string();
  }
  v1::Reminder stored(const std::string& id) {
    auto found = primary().run(primary().store->find(id));
    EXPECT_TRUE(found && *found);
    return found && *found ? (*found)->value : v1::Reminder();
  }
  // One round as the scheduler runs it.
  std::size_t round(replica& r) {
    auto batch = r.run(r.scheduler->claim());
    EXPECT_TRUE(batch);
    return r.run(r.scheduler->deliver(std::move(*batch)));
  }
  std::string webhook_id_of(const std::string& id) { return webhook_id(id, stored(id)); }

  test::redis_server server;
  std::atomic<std::int64_t> clock{start_ms};
  recording_sender sender;
  metrics::registry registry;
  reminder_metrics stats = reminder_metrics::create(registry);
  std::vector<std::unique_ptr<replica>> replicas;
};

TEST_F(ReminderScheduling, NothingIsSentBeforeItsDueTimeAndThenOnce) {
  auto id = sign_up(reader(1));
  clock += 59'000;
  EXPECT_EQ(round(primary()), 0u);
  clock += 1'000;
  auto hook = webhook_id_of(id);
  EXPECT_EQ(round(primary()), 1u);
  EXPECT_EQ(sender.attempts(hook), 1);
  EXPECT_EQ(stored(id).status(), v1::Reminder::DELIVERED);
  // A delivered reminder keeps no address.
  EXPECT_TRUE(stored(id).sealed_email().empty());
  clock += 3'600'000;
  EXPECT_EQ(round(primary()), 0u);
  EXPECT_EQ(sender.total(), 1);
}

TEST_F(ReminderScheduling, TheDeliveryCarriesTheReaderAndWorkingLinks) {
  auto id = sign_up(reader(7));
  clock += 60'000;
  auto hook = webhook_id_of(id);
  ASSERT_EQ(round(primary()), 1u);
  auto body = boost::json::parse(sender.body(hook)).as_object();
  EXPECT_EQ(text(body, "type"), "reminder.due");
  const auto& data = body.at("data").as_object();
  EXPECT_EQ(text(data, "reminder_id"), id);
  EXPECT_EQ(text(data, "email"), "reader7@example.org");
  EXPECT_EQ(text(data, "locale"), "en-GB");
  EXPECT_EQ(data.at("give_url"),
            "https://news.example/support?source=reminder&campaign=spring26&component=banner");
  std::string unsubscribe(data.at("unsubscribe_url").as_string());
  ASSERT_TRUE(unsubscribe.starts_with(
      "https://support.news.example/v1/reminders/unsubscribe?id=" + id + "&token="));
  auto token = unsubscribe.substr(unsubscribe.find("&token=") + 7);
  EXPECT_TRUE(primary().book->unsubscribe_token_matches(id, token, clock.load() / 1000));
  EXPECT_FALSE(primary().book->unsubscribe_token_matches(id + "x", token, clock.load() / 1000));
}

TEST_F(ReminderScheduling, TwoSchedulersRacingOverTenThousandDueRemindersDeliverEachOnce) {
  constexpr int count = 10'000;
  for (int i = 0; i < count; ++i) {
    auto r = reader(i);
    r.due_unix = start_ms / 1000 - (i % 100);  // due already, at various times
    sign_up(r);
  }
  auto& other = add_replica();
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (auto* r : {&primary(), &other}) {
    threads.emplace_back([r, &stop] {
      net::co_spawn(r->io, r->scheduler->run(stop), net::detached);
      r->io.restart();
      while (!stop) {
        r->io.run_for(10ms);
      }
      // Let the last round finish so nothing is left half-recorded.
      r->io.run_for(200ms);
    });
  }
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (sender.distinct() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(300ms);  // time for any duplicate to show
  stop = true;
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(sender.distinct(), static_cast<std::size_t>(count));
  EXPECT_EQ(sender.total(), count);
  for (const auto& [hook, attempts] : sender.all()) {
    ASSERT_EQ(attempts, 1) << hook;
  }
  auto counts = primary().run(primary().store->counts(clock.load()));
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->leased, 0);
}

TEST_F(ReminderScheduling, AHungSchedulersBatchIsTakenOverAfterItsLeaseWithTheSameWebhookId) {
  auto id = sign_up(reader(1));
  clock += 60'000;
  auto hook = webhook_id_of(id);
  recording_sender hung_sender;
  hung_sender.hang = true;
  auto hung = std::make_unique<replica>(server.url(), hung_sender, clock);
  // The hung one claims and sends, then never records the outcome.
  auto batch = hung->run(hung->scheduler->claim());
  ASSERT_EQ(batch->size(), 1u);
  net::co_spawn(hung->io, hung->scheduler->deliver(std::move(*batch)), net::detached);
  ASSERT_TRUE(test::run_until(
      hung->io, [&] { return hung_sender.attempts(hook) == 1; }, 5s));

  // Another scheduler leaves it alone while the lease holds…
  clock += 59'000;
  EXPECT_EQ(round(primary()), 0u);
  // …and takes it over once the lease has run out.
  clock += 2'000;
  EXPECT_EQ(round(primary()), 1u);
  EXPECT_EQ(sender.attempts(hook), 1);  // the same webhook-id: the receiver drops the copy
  EXPECT_EQ(stored(id).status(), v1::Reminder::DELIVERED);
  clock += 120'000;
  EXPECT_EQ(round(primary()), 0u);
}

TEST_F(ReminderScheduling, AnUnsubscribeBetweenClaimAndSendWins) {
  auto id = sign_up(reader(1));
  auto kept = sign_up(reader(2));
  clock += 60'000;
  auto batch = primary().run(primary().scheduler->claim());
  ASSERT_EQ(batch->size(), 2u);
  auto stopped = primary().run(primary().book->unsubscribe(id, clock.load() / 1000));
  EXPECT_EQ(*stopped, stop_outcome::stopped);
  EXPECT_EQ(primary().run(primary().scheduler->deliver(std::move(*batch))), 1u);
  EXPECT_EQ(sender.total(), 1);
  EXPECT_EQ(sender.attempts(webhook_id_of(kept)), 1);
  EXPECT_EQ(stored(id).status(), v1::Reminder::UNSUBSCRIBED);
  EXPECT_TRUE(stored(id).sealed_email().empty());
  // Unsubscribing again is fine and changes nothing.
  EXPECT_EQ(*primary().run(primary().book->unsubscribe(id, clock.load() / 1000)),
            stop_outcome::already_stopped);
}

TEST_F(ReminderScheduling, ABatchTakenOverAfterItsLeaseIsNotSentByItsFirstClaimer) {
  auto id = sign_up(reader(1));
  clock += 60'000;
  recording_sender slow_sender;
  auto slow = std::make_unique<replica>(server.url(), slow_sender, clock);
  auto stale = slow->run(slow->scheduler->claim());
  ASSERT_EQ(stale->size(), 1u);
  // The first claimer stalls past its lease; another scheduler takes the reminder over.
  clock += 61'000;
  auto taken = primary().run(primary().scheduler->claim());
  ASSERT_EQ(taken->size(), 1u);
  // The stalled one wakes up: the reminder is no longer its to send.
  EXPECT_EQ(slow->run(slow->scheduler->deliver(std::move(*stale))), 0u);
  EXPECT_EQ(slow_sender.total(), 0);
  EXPECT_EQ(primary().run(primary().scheduler->deliver(std::move(*taken))), 1u);
  EXPECT_EQ(sender.attempts(webhook_id_of(id)), 1);
  EXPECT_EQ(stored(id).status(), v1::Reminder::DELIVERED);
}

TEST_F(ReminderScheduling, AReceiverThatIsDownIsRetriedOnTheScheduleThenDelivered) {
  auto id = sign_up(reader(1));
  clock += 60'000;
  auto hook = webhook_id_of(id);
  sender.answer = [](const notify::delivery&, int attempt) {
    notify::delivery_outcome o;
    o.what = attempt <= 2 ? notify::delivery_outcome::kind::failed
                          : notify::delivery_outcome::kind::delivered;
    o.status = attempt <= 2 ? 503 : 204;
    return o;
  };
  EXPECT_EQ(round(primary()), 0u);  // attempt 1 fails
  EXPECT_EQ(stored(id).failed_attempts(), 1u);
  clock += 4'000;
  EXPECT_EQ(round(primary()), 0u);
  EXPECT_EQ(sender.attempts(hook), 1);
  clock += 1'000;  // 5 s after the first failure
  EXPECT_EQ(round(primary()), 0u);
  EXPECT_EQ(sender.attempts(hook), 2);
  clock += 299'000;
  EXPECT_EQ(round(primary()), 0u);
  EXPECT_EQ(sender.attempts(hook), 2);
  clock += 1'000;  // 5 min after the second failure
  EXPECT_EQ(round(primary()), 1u);
  EXPECT_EQ(sender.attempts(hook), 3);  // every attempt under the same webhook-id
  EXPECT_EQ(stored(id).status(), v1::Reminder::DELIVERED);
}

TEST_F(ReminderScheduling, ASenderThatThrowsFailsThatAttemptAndTheRoundEnds) {
  auto unlucky = sign_up(reader(1));
  auto lucky = sign_up(reader(2));
  clock += 60'000;
  const auto unlucky_hook = webhook_id_of(unlucky);
  sender.answer = [&](const notify::delivery& d, int attempt) {
    if (d.webhook_id == unlucky_hook && attempt == 1) {
      throw std::runtime_error("a bug in the sender");
    }
    notify::delivery_outcome delivered;
    delivered.what = notify::delivery_outcome::kind::delivered;
    return delivered;
  };
  auto& r = primary();
  auto batch = r.run(r.scheduler->claim());
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2u);
  // The round ends (it used to wait forever for the notify::delivery that threw).
  auto delivered = net::co_spawn(r.io, r.scheduler->deliver(std::move(*batch)), net::use_future);
  ASSERT_TRUE(test::run_until(
      r.io, [&] { return delivered.wait_for(0s) == std::future_status::ready; }, 5s));
  EXPECT_EQ(delivered.get(), 1u);
  EXPECT_EQ(stored(lucky).status(), v1::Reminder::DELIVERED);
  // The one that threw failed its first attempt and is retried on the schedule, 5 s later.
  EXPECT_EQ(stored(unlucky).status(), v1::Reminder::PENDING);
  EXPECT_EQ(stored(unlucky).failed_attempts(), 1u);
  EXPECT_EQ(stored(unlucky).last_error(), "internal error");
  EXPECT_EQ(round(r), 0u);
  clock += 5'000;
  EXPECT_EQ(round(r), 1u);
  EXPECT_EQ(sender.attempts(unlucky_hook), 2);
  EXPECT_EQ(stored(unlucky).status(), v1::Reminder::DELIVERED);
}

TEST_F(ReminderScheduling, ALaneOutlivesASenderThatThrows) {
  auto id = sign_up(reader(1));
  clock += 60'000;
  sender.answer = [&](const notify::delivery&, int attempt) -> notify::delivery_outcome {
    if (attempt == 1) {
      throw std::runtime_error("a bug in the sender");
    }
    notify::delivery_outcome delivered;
    delivered.what = notify::delivery_outcome::kind::delivered;
    return delivered;
  };
  auto& r = primary();
  std::atomic<bool> stop{false};
  net::co_spawn(r.io, r.scheduler->run(stop), net::detached);
  ASSERT_TRUE(test::run_until(
      r.io, [&] { return stored(id).failed_attempts() == 1; }, 5s));
  clock += 5'000;
  EXPECT_TRUE(test::run_until(
      r.io, [&] { return stored(id).status() == v1::Reminder::DELIVERED; }, 5s));
  stop = true;
  test::run_for(r.io, 300ms);
}

TEST_F(ReminderScheduling, RetryAfterFromTheReceiverPostponesTheNextAttempt) {
  auto id = sign_up(reader(1));
  clock += 60'000;
  auto hook = webhook_id_of(id);
  sender.answer = [](const notify::delivery&, int attempt) {
    notify::delivery_outcome o;
    o.what = attempt == 1 ? notify::delivery_outcome::kind::failed
                          : notify::delivery_outcome::kind::delivered;
    o.retry_after = std::chrono::seconds(120);
    return o;
  };
  round(primary());
  clock += 119'000;
  round(primary());
  EXPECT_EQ(sender.attempts(hook), 1);
  clock += 1'000;
  EXPECT_EQ(round(primary()), 1u);
}

TEST_F(ReminderScheduling, EveryFailedAttemptEndsInTheDeadLettersAndGoneAtOnce) {
  auto failing = sign_up(reader(1));
  auto gone = sign_up(reader(2));
  clock += 60'000;
  auto gone_hook = webhook_id_of(gone);
  sender.answer = [&](const notify::delivery& d, int) {
    notify::delivery_outcome o;
    o.what = d.webhook_id == gone_hook ? notify::delivery_outcome::kind::gone
                                       : notify::delivery_outcome::kind::failed;
    o.error = "HTTP 500";
    return o;
  };
  for (int attempt = 0; attempt < 12; ++attempt) {
    round(primary());
    clock += 25 * 3'600'000LL;  // past any wait on the schedule
  }
  EXPECT_EQ(sender.attempts(webhook_id_of(failing)), 10);  // the Standard Webhooks ten
  EXPECT_EQ(sender.attempts(gone_hook), 1);
  EXPECT_EQ(stored(failing).status(), v1::Reminder::DEAD);
  auto letters = primary().run(primary().store->dead_letters(10));
  ASSERT_EQ(letters->size(), 2u);
  EXPECT_EQ(stats.deliveries.with({"gone"}).value(), 1u);
  EXPECT_EQ(stats.deliveries.with({"dead"}).value(), 1u);
}

TEST_F(ReminderScheduling, ARecurringReminderMovesToItsNextMonthWithANewWebhookId) {
  auto r = reader(1);
  r.every_months = 1;
  r.time_zone = "Europe/London";
  r.due_unix = start_ms / 1000 + 60;
  auto id = sign_up(r);
  clock += 60'000;
  const auto stored_first_occurrence = stored(id).occurrence();
  auto first_hook = webhook_id_of(id);
  EXPECT_EQ(round(primary()), 1u);
  auto next = stored(id);
  EXPECT_EQ(next.status(), v1::Reminder::PENDING);
  EXPECT_EQ(next.occurrence(), stored_first_occurrence + 1);
  EXPECT_EQ(next.due_at_unix(), add_months_local(r.due_unix, 1, *time_zone::find("Europe/London")));
  EXPECT_NE(webhook_id(id, next), first_hook);
}

// a second sign-up with a reader's address (a stranger's, say) is a reminder of its
// own; the first one keeps its due time, locale, attribution and consent, and its id.
TEST_F(ReminderScheduling, ASecondSignUpWithTheSameAddressLeavesTheFirstReminderAlone) {
  auto first_signup = reader(1);
  first_signup.component = "epic";
  auto first = sign_up(first_signup);
  const auto before = stored(first);
  clock += 5'000;
  auto again = reader(1);
  again.due_unix += 2 * 365 * 24 * 3600;  // "push it two years out"
  again.locale = "fr-FR";
  again.consent_version = "attacker-v0";
  auto second = sign_up(again);
  EXPECT_NE(second, first);
  EXPECT_EQ(second.substr(0, 12), first.substr(0, 12));  // the same reader part
  auto after = stored(first);
  EXPECT_EQ(after.due_at_unix(), before.due_at_unix());
  EXPECT_EQ(after.locale(), "en-GB");
  EXPECT_EQ(after.component(), "epic");
  EXPECT_EQ(after.consent_version(), "2026-11");
  EXPECT_EQ(after.consented_at_unix(), before.consented_at_unix());
  EXPECT_EQ(after.occurrence(), before.occurrence());
  EXPECT_EQ(after.sealed_email(), before.sealed_email());
  EXPECT_EQ(primary().run(primary().store->counts(clock.load()))->pending, 2);
  // Both are the same Redis work: one new entry each, nothing else rewritten.
  auto third = sign_up(reader(1));
  EXPECT_EQ(primary().run(primary().store->counts(clock.load()))->pending, 3);
  EXPECT_EQ(stored(first).SerializeAsString(), after.SerializeAsString());
  EXPECT_NE(third, second);
}

// no measurable difference between a first and a repeated sign-up starts with the
// same work in Redis: the same commands, as many times, whatever the address had.
TEST_F(ReminderScheduling, AFirstAndARepeatedSignUpDoTheSameRedisWork) {
  sign_up(reader(9));  // scripts loaded, shared attribution stored
  auto work_of = [&](const valid_reminder& r) {
    server.cli({"CONFIG", "RESETSTAT"});
    sign_up(r);
    std::vector<std::string> calls;
    for (const auto& line : server.cli({"INFO", "commandstats"})) {
      // cmdstat_<name>:calls=<n>,usec=…: the name and the count, not the time.
      // Not the test's own INFO and CONFIG, nor the connection's keep-alive PING, which may
      // fall in either window.
      if (line.starts_with("cmdstat_") && !line.starts_with("cmdstat_info:") &&
          !line.starts_with("cmdstat_config|") && !line.starts_with("cmdstat_ping:")) {
        calls.push_back(line.substr(0, line.find(",usec=")));
      }
    }
    return calls;
  };
  auto first = work_of(reader(1));
  auto repeated = work_of(reader(1));
  EXPECT_NE(std::find(first.begin(), first.end(), "cmdstat_hset:calls=1"), first.end())
      << ::testing::PrintToString(first);
  EXPECT_EQ(repeated, first);
}

// The reader still gets one reminder per campaign: at notify::delivery, the first due of the
// reader's reminders for the campaign goes out; another due within the window is finished as a
// duplicate, unsent. Other campaigns and other readers are not held back.
TEST_F(ReminderScheduling, OneReminderPerReaderAndCampaignIsSentWithinTheWindow) {
  auto first = sign_up(reader(1));
  auto later = reader(1);
  later.due_unix += 3600;
  auto repeat = sign_up(later);
  auto same_time = sign_up(reader(1));
  auto other_campaign = sign_up(reader(1, "autumn26"));
  auto other_reader = sign_up(reader(2));
  clock += 60'000;
  EXPECT_EQ(round(primary()), 3u);  // one of the two due now, autumn26's, reader 2's
  auto a = stored(first).status();
  auto b = stored(same_time).status();
  EXPECT_TRUE((a == v1::Reminder::DELIVERED && b == v1::Reminder::DUPLICATE) ||
              (a == v1::Reminder::DUPLICATE && b == v1::Reminder::DELIVERED));
  EXPECT_EQ(stored(other_campaign).status(), v1::Reminder::DELIVERED);
  EXPECT_EQ(stored(other_reader).status(), v1::Reminder::DELIVERED);
  EXPECT_EQ(stats.skipped.with({"duplicate"}).value(), 1u);
  clock += 3'600'000;
  EXPECT_EQ(round(primary()), 0u);
  EXPECT_EQ(stored(repeat).status(), v1::Reminder::DUPLICATE);
  EXPECT_TRUE(stored(repeat).sealed_email().empty());
  EXPECT_EQ(sender.total(), 3);
  // Past the window, the reader can be reminded of the campaign again.
  auto next_month = reader(1);
  next_month.due_unix = clock.load() / 1000 + 26 * 24 * 3600;
  auto next = sign_up(next_month);
  clock += std::int64_t{26} * 24 * 3600 * 1000;
  EXPECT_EQ(round(primary()), 1u);
  EXPECT_EQ(stored(next).status(), v1::Reminder::DELIVERED);
}

// A failed attempt keeps the claim: its retry is sent, and the reader's other reminder is the
// duplicate, however the two interleave.
TEST_F(ReminderScheduling, ARetriedReminderKeepsItsSendClaim) {
  auto first = sign_up(reader(1));
  sender.answer = [](const notify::delivery&, int attempt) {
    notify::delivery_outcome o;
    o.what = attempt == 1 ? notify::delivery_outcome::kind::failed
                          : notify::delivery_outcome::kind::delivered;
    o.error = "503";
    return o;
  };
  clock += 60'000;
  auto hook = webhook_id_of(first);
  EXPECT_EQ(round(primary()), 0u);
  auto repeat = reader(1);
  repeat.due_unix = clock.load() / 1000;
  auto second = sign_up(repeat);
  clock += 10 * 60'000;  // past the first retry's delay
  EXPECT_EQ(round(primary()), 1u);
  EXPECT_EQ(sender.attempts(hook), 2);
  EXPECT_EQ(stored(first).status(), v1::Reminder::DELIVERED);
  EXPECT_EQ(stored(second).status(), v1::Reminder::DUPLICATE);
}

// A recurring reminder held back as a duplicate is not lost: it moves on to its next month.
TEST_F(ReminderScheduling, ARecurringDuplicateMovesToItsNextOccurrence) {
  auto one_off = sign_up(reader(1));
  auto monthly = reader(1);
  monthly.every_months = 1;
  monthly.due_unix += 60;
  auto id = sign_up(monthly);
  const auto occurrence = stored(id).occurrence();
  clock += 60'000;
  EXPECT_EQ(round(primary()), 1u);
  EXPECT_EQ(stored(one_off).status(), v1::Reminder::DELIVERED);
  clock += 60'000;
  EXPECT_EQ(round(primary()), 0u);
  auto after = stored(id);
  EXPECT_EQ(after.status(), v1::Reminder::PENDING);
  EXPECT_EQ(after.occurrence(), occurrence + 1);
  EXPECT_EQ(after.due_at_unix(), add_months_local(monthly.due_unix, 1, *time_zone::find("UTC")));
  EXPECT_EQ(sender.total(), 1);
  // A month on, outside the window, it goes out.
  clock.store(after.due_at_unix() * 1000);
  EXPECT_EQ(round(primary()), 1u);
}

// only a paid pledge cancels, and it cancels every pending reminder of its reader for
// its campaign (a repeated sign-up may have added several), no other campaign's, no one else's.
TEST_F(ReminderScheduling, APaidPledgeCancelsEveryReminderOfItsReaderForThatCampaignOnly) {
  auto same = sign_up(reader(1));
  auto same_again = sign_up(reader(1));
  auto other = sign_up(reader(1, "autumn26"));
  auto someone_else = sign_up(reader(2));
  auto cancelled = primary().run(primary().book->cancel_for_paid_pledge(
      reader_hash(keys(), "reader1@example.org"), "spring26", clock.load() / 1000));
  EXPECT_EQ(*cancelled, 2);
  // Again (a retried webhook): nothing more.
  EXPECT_EQ(*primary().run(primary().book->cancel_for_paid_pledge(
                reader_hash(keys(), "reader1@example.org"), "spring26", clock.load() / 1000)),
            0);
  clock += 60'000;
  EXPECT_EQ(round(primary()), 2u);
  EXPECT_EQ(stored(same).status(), v1::Reminder::CANCELLED);
  EXPECT_EQ(stored(same_again).status(), v1::Reminder::CANCELLED);
  EXPECT_EQ(stored(other).status(), v1::Reminder::DELIVERED);
  EXPECT_EQ(stored(someone_else).status(), v1::Reminder::DELIVERED);
}

// The reader's one-click unsubscribe (a link only the address's owner gets) stops their other
// reminders for the campaign too: a stranger's repeated sign-up cannot outlive it.
TEST_F(ReminderScheduling, UnsubscribingStopsTheReadersOtherRemindersForTheCampaign) {
  auto mine = sign_up(reader(1));
  auto strangers = sign_up(reader(1));
  auto other = sign_up(reader(1, "autumn26"));
  EXPECT_EQ(*primary().run(primary().book->unsubscribe(mine, clock.load() / 1000)),
            stop_outcome::stopped);
  EXPECT_EQ(stored(mine).status(), v1::Reminder::UNSUBSCRIBED);
  EXPECT_EQ(stored(strangers).status(), v1::Reminder::UNSUBSCRIBED);
  EXPECT_EQ(stored(other).status(), v1::Reminder::PENDING);
}

// The one-click link is clicked after notify::delivery, when the delivered reminder keeps no
// address: the reader's other pending reminders for the campaign stop all the same.
TEST_F(ReminderScheduling, UnsubscribingAfterDeliveryStopsTheReadersOtherReminders) {
  auto delivered = sign_up(reader(1));
  auto later = reader(1);
  later.due_unix += 40 * 24 * 3600;  // after the notify::delivery window: it would be sent
  auto pending = sign_up(later);
  auto someone_else = sign_up(reader(2));
  clock += 60'000;
  EXPECT_EQ(round(primary()), 2u);
  ASSERT_EQ(stored(delivered).status(), v1::Reminder::DELIVERED);
  ASSERT_TRUE(primary().run(primary().book->unsubscribe(delivered, clock.load() / 1000)));
  EXPECT_EQ(stored(pending).status(), v1::Reminder::UNSUBSCRIBED);
  EXPECT_EQ(stored(someone_else).status(), v1::Reminder::DELIVERED);
}

// What a pending reminder costs in Redis: an entry in a bucket, without the attribution it
// shares with the other readers of the same article; finished, it moves to a key that expires.
TEST_F(ReminderScheduling, PendingRemindersShareTheirAttributionAndFinishedOnesExpire) {
  auto first = sign_up(reader(1));
  auto second = sign_up(reader(2));
  sign_up(reader(3, "autumn26"));
  auto& r = primary();
  auto command = [&](std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    return *r.run(r.conn->command(views));
  };
  EXPECT_EQ(server.cli({"KEYS", "t:rem:ctx:*"}).size(), 2u);  // spring26's and autumn26's
  const auto bucket = "t:rem:b:" + first.substr(0, 2);
  v1::Reminder stored;
  ASSERT_TRUE(stored.ParseFromString(command({"HGET", bucket, first}).text));
  EXPECT_EQ(stored.campaign(), "");
  EXPECT_EQ(stored.page_url(), "");
  EXPECT_EQ(stored.context().size(), 8u);
  EXPECT_EQ(command({"EXISTS", "t:rem:" + first}).integer, 0);
  // Its context outlives its due time (a minute away) by the retry window and more.
  auto shared = "t:rem:ctx:" + security::base64url(stored.context());
  EXPECT_GT(command({"PTTL", shared}).integer, std::int64_t{29} * 24 * 3600 * 1000);
  for (const auto& id : {first, second}) {
    auto found = *r.run(r.store->find(id));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->value.campaign(), "spring26");
    EXPECT_EQ(found->value.page_url(), "https://news.example/world/2027/jan/15/an-article");
    EXPECT_EQ(found->value.locale(), "en-GB");
  }
  // Found by any prefix: a bucket's for two characters or more, the whole walk for fewer.
  EXPECT_EQ(r.run(r.store->ids_starting_with(""))->size(), 3u);
  auto by_letter = *r.run(r.store->ids_starting_with(first.substr(0, 1)));
  EXPECT_NE(std::find(by_letter.begin(), by_letter.end(), first), by_letter.end());
  EXPECT_EQ(*r.run(r.store->ids_starting_with(first)), std::vector<std::string>{first});
  r.run(r.book->unsubscribe(first, clock.load() / 1000));
  EXPECT_EQ(command({"HEXISTS", bucket, first}).integer, 0);
  auto ttl = command({"PTTL", "t:rem:" + first}).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, std::int64_t{24} * 3600 * 1000);  // the book's retention
  EXPECT_EQ((*r.run(r.store->find(first)))->value.status(), v1::Reminder::UNSUBSCRIBED);
}

// The scheduler warns at start when Redis would keep buckets in its bigger encoding.
TEST_F(ReminderScheduling, TellsWhetherRedisKeepsBucketsCompact) {
  auto& r = primary();
  EXPECT_EQ(r.run(r.store->buckets_are_compact()).value(),
            std::optional<bool>(true));  // as deploy/ runs it
  server.cli({"CONFIG", "SET", "hash-max-listpack-value", "64"});
  EXPECT_EQ(r.run(r.store->buckets_are_compact()).value(), std::optional<bool>(false));
  server.cli({"CONFIG", "SET", "hash-max-listpack-value", "128"});
  server.cli({"CONFIG", "SET", "hash-max-listpack-entries", "128"});
  EXPECT_EQ(r.run(r.store->buckets_are_compact()).value(), std::optional<bool>(false));
  // Reminders work either way.
  auto id = sign_up(reader(1));
  EXPECT_EQ((*r.run(r.store->find(id)))->value.campaign(), "spring26");
}

// Rotation: after a new first line, re-sealing moves every stored address to it, a share per
// call, so that the old line can go; addresses under a line already gone are left and counted.
TEST_F(ReminderScheduling, ResealingMovesEveryAddressToTheSealingKeySoTheOldOneCanRetire) {
  auto line = [](const std::string& id, char fill) {
    return id + ":" + security::base64(std::string(32, fill)) + "\n";
  };
  auto keys_of = [](const std::string& text) {
    return std::get<security::data_keys>(security::data_keys::parse(text));
  };
  // k0, the last line, keys lookups (ids) throughout; k1 sealed, then k2 does.
  const auto before = keys_of(line("k1", '1') + line("k0", '0'));
  const auto rotated = keys_of(line("k2", '2') + line("k1", '1') + line("k0", '0'));
  const auto retired = keys_of(line("k2", '2') + line("k0", '0'));
  auto& r = primary();
  reminder_book old_book(*r.store, before, link_secret, 24h);
  std::vector<std::string> ids;
  for (int n = 0; n < 5; ++n) {
    ids.push_back(r.run(old_book.sign_up(reader(n), clock.load() / 1000))->id);
  }
  r.run(old_book.unsubscribe(ids[4], clock.load() / 1000));  // finished: keeps no address
  auto walk = [&](const security::data_keys& keys) {
    reminder_book book(*r.store, keys, link_secret, 24h);
    reseal_report total;
    std::string cursor = "0";
    int calls = 0;
    do {
      auto step = r.run(book.reseal(cursor, 1));
      EXPECT_TRUE(step);
      if (!step) {
        break;
      }
      cursor = step->cursor;
      total.examined += step->examined;
      total.resealed += step->resealed;
      total.unreadable += step->unreadable;
      ++calls;
    } while (cursor != "0" && calls < 10'000);
    return total;
  };
  auto too_early = walk(retired);  // k1 dropped before re-sealing: nothing can be done
  EXPECT_EQ(too_early.unreadable, 4);
  EXPECT_EQ(too_early.resealed, 0);
  auto done = walk(rotated);
  EXPECT_EQ(done.examined, 4);
  EXPECT_EQ(done.resealed, 4);
  EXPECT_EQ(walk(rotated).resealed, 0);  // nothing left under k1
  for (int n = 0; n < 4; ++n) {
    auto found = *r.run(r.store->find(ids[n]));
    ASSERT_TRUE(found);
    EXPECT_EQ(retired.open(found->value.sealed_email(), ids[n]),
              "reader" + std::to_string(n) + "@example.org");
    EXPECT_EQ(found->value.campaign(), "spring26");  // still pointing at its shared part
  }
  // The finished one was left as it was, expiry included.
  EXPECT_GT(std::stoll(server.cli({"PTTL", "t:rem:" + ids[4]}).front()), 0);
  EXPECT_EQ(r.run(r.store->counts(clock.load()))->pending, 4);
}

TEST_F(ReminderScheduling, ErasureRemovesEveryReminderOfThatReaderAndNoOneElses) {
  auto a = sign_up(reader(1));
  auto a_again = sign_up(reader(1));  // several per campaign now
  auto b = sign_up(reader(1, "autumn26"));
  auto unsubscribed = sign_up(reader(1, "winter26"));
  primary().run(primary().book->unsubscribe(unsubscribed, clock.load() / 1000));
  auto someone_else = sign_up(reader(2));
  auto report = primary().run(primary().book->erase_reader("reader1@example.org"));
  EXPECT_EQ(report->reminders_removed, 4);
  for (const auto& id : {a, a_again, b, unsubscribed}) {
    EXPECT_FALSE(*primary().run(primary().store->find(id)));
  }
  EXPECT_TRUE(*primary().run(primary().store->find(someone_else)));
  auto counts = primary().run(primary().store->counts(clock.load()));
  EXPECT_EQ(counts->pending, 1);
}

}  // namespace
}  // namespace supportd::reminders

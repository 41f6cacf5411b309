// Webhook events through the real stream and store on a real redis-server: every effect exactly
// once over at-least-once, shuffled, concurrent delivery; a dead consumer's events taken over;
// nothing lost across a Redis crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/detached.hpp>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

#include "app/reminders_on_payment.hpp"
#include "core/clock.hpp"
#include "metrics/registry.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_store.hpp"
#include "redis/connection.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_id.hpp"
#include "reminders/reminder_metrics.hpp"
#include "reminders/reminder_store.hpp"
#include "security/data_keys.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"
#include "webhooks/event_processor.hpp"
#include "webhooks/webhook_metrics.hpp"

namespace supportd::webhooks {
namespace {

using namespace std::chrono_literals;

std::string invoice_paid(const std::string& event_id, const std::string& pledge_id) {
  return R"({"id":")" + event_id +
         R"(","object":"event","type":"invoice.paid","created":1700000000,)"
         R"("livemode":false,"data":{"object":{"object":"invoice","subscription":"sub_)" +
         pledge_id + R"(","amount_paid":500,"subscription_details":{"metadata":{"pledge_id":")" +
         pledge_id +
         R"("}},"lines":{"data":[{"period":{"start":1700000000,"end":1702592000}}]}}}})";
}

std::string checkout_expired(const std::string& event_id, const std::string& pledge_id) {
  return R"({"id":")" + event_id +
         R"(","object":"event","type":"checkout.session.expired","created":1700000000,)"
         R"("livemode":false,"data":{"object":{"object":"checkout.session","id":"cs_)" +
         pledge_id + R"(","client_reference_id":")" + pledge_id + R"("}}})";
}

class EventProcessing : public ::testing::Test {
 protected:
  void SetUp() override { connect(); }

  void connect() {
    std::string why;
    conn = std::make_unique<redis::connection>(
        io, redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
        nullptr);
    conn->start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn->ready(); }, 5s));
  }

  void create_pledges(int n, pledges::interval every = pledges::interval::month) {
    pledges::pledge_store store(*conn, prefix);
    for (int i = 0; i < n; ++i) {
      pledges::pledge_record p;
      p.id = "pl_" + std::to_string(i);
      p.amount_minor = 500;
      p.currency = "USD";
      p.every = every;
      p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
      p.checkout_session_id = "cs_" + p.id;
      ASSERT_TRUE(*test::run(io, store.create(p, "", 201, "{}")));
    }
  }

  void append(const std::string& event_id, const std::string& body) {
    event_stream stream(*conn, prefix);
    auto appended =
        test::run(io, stream.append(event_id,
                                    body.find("checkout.session.expired") != std::string::npos
                                        ? "checkout.session.expired"
                                        : "invoice.paid",
                                    body));
    ASSERT_TRUE(appended && *appended);
  }

  std::int64_t backlog() {
    event_stream stream(*conn, prefix);
    return test::run(io, stream.backlog()).value();
  }

  std::unique_ptr<event_processor> processor(
      const std::string& consumer, std::chrono::milliseconds retry_after = 30s,
      std::function<void(const stream_entry&)> before_apply = {}) {
    return std::make_unique<event_processor>(
        *conn, prefix, stats, pledge_stats, consumer,
        processor_options{.retry_after = retry_after, .before_apply = std::move(before_apply)});
  }

  test::redis_server server;
  net::io_context io;
  std::unique_ptr<redis::connection> conn;
  metrics::registry registry;
  webhook_metrics stats = webhook_metrics::create(registry);
  pledges::pledge_metrics pledge_stats = pledges::pledge_metrics::create(registry);
  const std::string prefix = "t:";
};

TEST_F(EventProcessing, ThousandEventsDeliveredThreeTimesShuffledApplyOnce) {
  create_pledges(100);
  std::vector<std::pair<std::string, std::string>> deliveries;
  for (int p = 0; p < 100; ++p) {
    for (int k = 0; k < 10; ++k) {
      auto id = "evt_" + std::to_string(p) + "_" + std::to_string(k);
      auto body = invoice_paid(id, "pl_" + std::to_string(p));
      for (int copy = 0; copy < 3; ++copy) {
        deliveries.emplace_back(id, body);
      }
    }
  }
  std::shuffle(deliveries.begin(), deliveries.end(), std::mt19937(42));
  for (const auto& [id, body] : deliveries) {
    append(id, body);
  }
  ASSERT_EQ(backlog(), 3000);

  // Two consumers at once, as two workers (or replicas) would be.
  std::atomic<bool> stop{false};
  auto a = processor("a");
  auto b = processor("b");
  net::co_spawn(io, a->run(stop), net::detached);
  net::co_spawn(io, b->run(stop), net::detached);
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 60s));
  stop = true;
  test::run_for(io, 100ms);

  pledges::pledge_store store(*conn, prefix);
  for (int p = 0; p < 100; ++p) {
    auto pledge = **test::run(io, store.find("pl_" + std::to_string(p)));
    EXPECT_EQ(pledge.status, pledges::pledge_state::active);
    EXPECT_EQ(pledge.charges_succeeded, 10) << pledge.id;
    EXPECT_EQ(pledge.total_given_minor, 5000) << pledge.id;
    EXPECT_EQ(pledge.next_charge_at_ms, 1702592000000);
    EXPECT_EQ(pledge.events.size(), 11u);  // created + one per distinct event
  }
  auto rendered = registry.render();
  EXPECT_NE(
      rendered.find(
          R"(supportd_webhook_events_processed_total{provider="stripe",type="invoice.paid",outcome="applied"} 1000)"),
      std::string::npos);
  EXPECT_NE(
      rendered.find(
          R"(supportd_webhook_events_processed_total{provider="stripe",type="invoice.paid",outcome="duplicate"} 2000)"),
      std::string::npos);
}

TEST_F(EventProcessing, ADeadConsumersEventsAreTakenOverAndAppliedOnce) {
  create_pledges(1);
  for (int k = 0; k < 20; ++k) {
    append("evt_" + std::to_string(k), invoice_paid("evt_" + std::to_string(k), "pl_0"));
  }
  // Consumer "dead" reads a batch and dies before acknowledging any of it.
  event_stream stream(*conn, prefix);
  ASSERT_TRUE(test::run(io, stream.ensure_group()));
  auto taken = test::run(io, stream.read_new("dead", 20));
  ASSERT_EQ(taken->size(), 20u);

  std::atomic<bool> stop{false};
  auto survivor = processor("survivor", 300ms);
  net::co_spawn(io, survivor->run(stop), net::detached);
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 10s));
  stop = true;
  test::run_for(io, 100ms);
  pledges::pledge_store store(*conn, prefix);
  EXPECT_EQ((*test::run(io, store.find("pl_0")))->charges_succeeded, 20);
}

TEST_F(EventProcessing, NothingIsLostWhenRedisCrashesMidStream) {
  create_pledges(1);
  for (int k = 0; k < 50; ++k) {
    append("evt_" + std::to_string(k), invoice_paid("evt_" + std::to_string(k), "pl_0"));
  }
  std::atomic<bool> stop{false};
  auto p = processor("p", 300ms);
  net::co_spawn(io, p->run(stop), net::detached);
  test::run_for(io, 20ms);  // part of the stream is processed
  server.kill();
  test::run_for(io, 300ms);
  server.restart();  // AOF with fsync always: every acknowledged append survived
  ASSERT_TRUE(test::run_until(
      io, [&] { return conn->ready(); }, 10s));
  for (int k = 50; k < 60; ++k) {
    append("evt_" + std::to_string(k), invoice_paid("evt_" + std::to_string(k), "pl_0"));
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 20s));
  stop = true;
  test::run_for(io, 100ms);
  pledges::pledge_store store(*conn, prefix);
  EXPECT_EQ((*test::run(io, store.find("pl_0")))->charges_succeeded, 60);
}

TEST_F(EventProcessing, RefundsAndDisputesOfRenewalChargesFindTheirPledge) {
  create_pledges(2);
  // Two renewals of pl_0 paid with charges ch_a and ch_b; Stripe's charge objects carry no
  // pledge metadata, only their ids.
  for (auto [event, charge] : {std::pair{"evt_paid_a", "ch_a"}, std::pair{"evt_paid_b", "ch_b"}}) {
    auto body = invoice_paid(event, "pl_0");
    body.insert(body.find(R"("subscription":)"), std::string(R"("charge":")") + charge + R"(",)");
    append(event, body);
  }
  auto refund = [](std::string_view id, std::string_view charge, int amount, bool full) {
    return std::string(R"({"id":")") + std::string(id) +
           R"(","type":"charge.refunded","livemode":false,"data":{"object":{"id":")" +
           std::string(charge) + R"(","object":"charge","amount_refunded":)" +
           std::to_string(amount) + R"(,"refunded":)" + (full ? "true" : "false") + "}}}";
  };
  std::atomic<bool> stop{false};
  auto p = processor("p");
  net::co_spawn(io, p->run(stop), net::detached);
  // Refunds come days after the charge: the renewals are in before them.
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 10s));
  append("evt_r1", refund("evt_r1", "ch_a", 200, false));  // partial refund of ch_a
  append("evt_r2", refund("evt_r2", "ch_a", 500, true));   // then the rest of it
  append("evt_r3", refund("evt_r3", "ch_b", 500, true));
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 10s));
  pledges::pledge_store store(*conn, prefix);
  auto refunded = *test::run(io, store.find("pl_0"));
  ASSERT_TRUE(refunded);
  EXPECT_EQ(refunded->total_refunded_minor, 1000);  // ch_a's 500 (its running total) + ch_b's 500
  // Refunding charges of a subscription does not end it: the pledge goes on being charged.
  EXPECT_EQ(refunded->status, pledges::pledge_state::active);
  append("evt_d1",
         R"({"id":"evt_d1","type":"charge.dispute.created","livemode":false,"data":{"object":)"
         R"({"id":"dp_1","object":"dispute","charge":"ch_b"}}})");
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 10s));
  stop = true;
  test::run_for(io, 100ms);
  auto pledge = *test::run(io, store.find("pl_0"));
  ASSERT_TRUE(pledge);
  EXPECT_EQ(pledge->total_refunded_minor, 1000);
  EXPECT_EQ(pledge->status, pledges::pledge_state::disputed);
  EXPECT_EQ((*test::run(io, store.find("pl_1")))->total_refunded_minor, 0);
  std::string_view orphans[] = {"LLEN", "t:stripe:orphans"};
  EXPECT_EQ(test::run(io, conn->command(orphans))->integer, 0);
}

TEST_F(EventProcessing, OnlyARefundInFullEndsAOneTimeGift) {
  create_pledges(1, pledges::interval::once);
  const std::string paid =
      R"({"id":"evt_paid","type":"checkout.session.completed","livemode":false,"data":{"object":)"
      R"({"id":"cs_pl_0","object":"checkout.session","mode":"payment","payment_status":"paid",)"
      R"("amount_total":500,"payment_intent":"pi_0","metadata":{"pledge_id":"pl_0"}}}})";
  auto refund = [](std::string_view id, int amount, bool full) {
    return std::string(R"({"id":")") + std::string(id) +
           R"(","type":"charge.refunded","livemode":false,"data":{"object":{"id":"ch_0",)"
           R"("object":"charge","payment_intent":"pi_0","amount_refunded":)" +
           std::to_string(amount) + R"(,"refunded":)" + (full ? "true" : "false") + "}}}";
  };
  std::atomic<bool> stop{false};
  auto p = processor("p");
  net::co_spawn(io, p->run(stop), net::detached);
  pledges::pledge_store store(*conn, prefix);
  auto status_after = [&](const std::string& id, const std::string& body) {
    append(id, body);
    EXPECT_TRUE(test::run_until(
        io, [&] { return backlog() == 0; }, 10s));
    auto pledge = *test::run(io, store.find("pl_0"));
    EXPECT_TRUE(pledge);
    return pledge ? pledge->status : pledges::pledge_state::pending;
  };
  EXPECT_EQ(status_after("evt_paid", paid), pledges::pledge_state::paid);
  EXPECT_EQ(status_after("evt_r1", refund("evt_r1", 200, false)), pledges::pledge_state::paid);
  EXPECT_EQ(status_after("evt_r2", refund("evt_r2", 500, true)), pledges::pledge_state::refunded);
  stop = true;
  test::run_for(io, 100ms);
  EXPECT_EQ((*test::run(io, store.find("pl_0")))->total_refunded_minor, 500);
}

TEST_F(EventProcessing, ARefundThatOvertakesItsRenewalIsAppliedOnceTheRenewalIsIn) {
  create_pledges(1);
  append("evt_refund",
         R"({"id":"evt_refund","type":"charge.refunded","livemode":false,"data":{"object":)"
         R"({"id":"ch_late","object":"charge","amount_refunded":500,"refunded":true}}})");
  std::atomic<bool> stop{false};
  auto p = processor("p", 200ms);
  net::co_spawn(io, p->run(stop), net::detached);
  test::run_for(io, 300ms);  // tried once at least, and found no pledge
  auto paid = invoice_paid("evt_paid", "pl_0");
  paid.insert(paid.find(R"("subscription":)"), R"("charge":"ch_late",)");
  append("evt_paid", paid);
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 10s));
  stop = true;
  test::run_for(io, 100ms);
  pledges::pledge_store store(*conn, prefix);
  EXPECT_EQ((*test::run(io, store.find("pl_0")))->total_refunded_minor, 500);
  std::string_view orphans[] = {"LLEN", "t:stripe:orphans"};
  EXPECT_EQ(test::run(io, conn->command(orphans))->integer, 0);
}

TEST_F(EventProcessing, UnknownPledgesAreKeptAndUnknownTypesCounted) {
  append("evt_x", invoice_paid("evt_x", "pl_nobody"));
  append("evt_y", R"({"id":"evt_y","type":"payout.paid","data":{"object":{}}})");
  append("evt_z", "not json");
  std::atomic<bool> stop{false};
  auto p = processor("p", 100ms);  // the orphan is tried max_attempts times first
  net::co_spawn(io, p->run(stop), net::detached);
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 10s));
  // The gauge reads the dead letters from Redis (about once a second), as every replica does.
  EXPECT_TRUE(test::run_until(
      io, [&] { return stats.dead_letters.value() == 1; }, 5s));
  stop = true;
  test::run_for(io, 100ms);
  std::string_view orphans[] = {"LLEN", "t:stripe:orphans"};
  EXPECT_EQ(test::run(io, conn->command(orphans))->integer, 1);
  event_stream stream(*conn, prefix);
  auto page = test::run(io, stream.dead_letters("0", 100));
  const auto& dead = page->letters;
  ASSERT_EQ(dead.size(), 1u);  // the malformed one
  EXPECT_NE(dead.front().second.find("malformed event"), std::string::npos);
  // A replayed dead letter goes back on the stream (and, still malformed, comes back).
  EXPECT_TRUE(*test::run(io, stream.replay(dead.front().first)));
  EXPECT_FALSE(*test::run(io, stream.replay("0-1")));
}

TEST_F(EventProcessing, AThrowIsAFailedAttemptRetriedAsUsualAndTheLoopGoesOn) {
  create_pledges(1);
  // evt_once throws the first time only, evt_always every time; evt_fine never.
  std::map<std::string, int> seen;
  auto throwing = [&seen](const stream_entry& e) {
    if (e.event_id == "evt_always" || (e.event_id == "evt_once" && ++seen[e.event_id] == 1)) {
      throw std::runtime_error("a bug in the handler");
    }
  };
  append("evt_once", invoice_paid("evt_once", "pl_0"));
  append("evt_always", invoice_paid("evt_always", "pl_0"));
  append("evt_fine", invoice_paid("evt_fine", "pl_0"));
  std::atomic<bool> stop{false};
  auto p = processor("p", 100ms, throwing);
  net::co_spawn(io, p->run(stop), net::detached);
  // The batch ends (it used to wait forever for the entries that threw); evt_once is applied on
  // its second attempt, evt_always dead-lettered after its last.
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 10s));
  // Events appended later are processed too: the loop goes on.
  append("evt_later", invoice_paid("evt_later", "pl_0"));
  ASSERT_TRUE(test::run_until(
      io, [&] { return backlog() == 0; }, 5s));
  stop = true;
  test::run_for(io, 100ms);
  pledges::pledge_store store(*conn, prefix);
  EXPECT_EQ((*test::run(io, store.find("pl_0")))->charges_succeeded, 3);
  event_stream stream(*conn, prefix);
  auto page = test::run(io, stream.dead_letters("0", 100));
  const auto& dead = page->letters;
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead.front().second.find("evt_always"), std::string::npos);
  EXPECT_NE(dead.front().second.find(R"("attempts":5)"), std::string::npos);
}

// Posting a pledge costs nothing and names any address, so it cancels no reminder;
// its first payment cancels every pending reminder of its reader for its campaign, once. A
// pledge that ends unpaid cancels nothing. Either way the pledge then forgets the reader's hash.
TEST_F(EventProcessing, APledgeCancelsItsReadersRemindersWhenPaidNotBefore) {
  const auto keys = std::get<security::data_keys>(
      security::data_keys::parse("k1:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n"));
  reminders::reminder_store reminder_store(*conn, prefix);
  reminders::reminder_book book(reminder_store, keys, "a-link-secret-of-at-least-32-characters",
                                24h);
  auto reminder_stats = reminders::reminder_metrics::create(registry);
  const auto now = core::now_unix_ms() / 1000;
  auto sign_up = [&](const std::string& email, const std::string& campaign) {
    reminders::valid_reminder r;
    r.email = email;
    r.campaign = campaign;
    r.consent_version = "2026-11";
    r.due_unix = now + 7 * 24 * 3600;
    return test::run(io, book.sign_up(r, now))->id;
  };
  auto status_of = [&](const std::string& id) {
    return (*test::run(io, reminder_store.find(id)))->value.status();
  };
  const auto winter = sign_up("reader@example.org", "winter");
  const auto winter_again = sign_up("reader@example.org", "winter");
  const auto spring = sign_up("reader@example.org", "spring");
  const auto someone_else = sign_up("other@example.org", "winter");

  pledges::pledge_store store(*conn, prefix);
  for (const auto* id : {"pl_paid", "pl_unpaid"}) {
    pledges::pledge_record p;
    p.id = id;
    p.amount_minor = 500;
    p.currency = "USD";
    p.every = pledges::interval::month;
    p.source.campaign = "winter";
    p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
    p.checkout_session_id = std::string("cs_") + id;
    p.reminder_reader = reminders::reader_hash(keys, "reader@example.org");
    ASSERT_TRUE(*test::run(io, store.create(p, "", 201, "{}")));
  }
  // Created, unpaid: nothing cancelled.
  for (const auto& id : {winter, winter_again, spring, someone_else}) {
    EXPECT_EQ(status_of(id), v1::Reminder::PENDING);
  }

  std::atomic<bool> stop{false};
  auto consumer = std::make_unique<event_processor>(
      *conn, prefix, stats, pledge_stats, "a", processor_options{},
      app::cancel_reminders_when_paid(&book, &reminder_stats));
  net::co_spawn(io, consumer->run(stop), net::detached);
  auto drain = [&] {
    ASSERT_TRUE(test::run_until(
        io, [&] { return backlog() == 0; }, 20s));
  };

  // The unpaid one ends: still nothing cancelled, and it forgets the reader.
  append("evt_expired", checkout_expired("evt_expired", "pl_unpaid"));
  drain();
  EXPECT_EQ(status_of(winter), v1::Reminder::PENDING);
  EXPECT_TRUE((*test::run(io, store.find("pl_unpaid")))->reminder_reader.empty());

  // The first payment (twice, as Stripe may send it): winter's reminders of this reader go.
  append("evt_paid_1", invoice_paid("evt_paid_1", "pl_paid"));
  append("evt_paid_1", invoice_paid("evt_paid_1", "pl_paid"));
  drain();
  EXPECT_EQ(status_of(winter), v1::Reminder::CANCELLED);
  EXPECT_EQ(status_of(winter_again), v1::Reminder::CANCELLED);
  EXPECT_EQ(status_of(spring), v1::Reminder::PENDING);
  EXPECT_EQ(status_of(someone_else), v1::Reminder::PENDING);
  EXPECT_TRUE((*test::run(io, store.find("pl_paid")))->reminder_reader.empty());
  EXPECT_EQ(reminder_stats.stopped.with({"pledge"}).value(), 2u);

  // Later payments (renewals) cancel nothing the reader signs up for afterwards.
  const auto later = sign_up("reader@example.org", "winter");
  append("evt_paid_2", invoice_paid("evt_paid_2", "pl_paid"));
  drain();
  EXPECT_EQ(status_of(later), v1::Reminder::PENDING);
  stop = true;
  test::run_for(io, 100ms);
}

}  // namespace
}  // namespace supportd::webhooks

// The recurring pledge stats against a real redis-server: the hashes the state-changing scripts
// keep (active recurring pledges and MRR by currency) follow every transition exactly, stay
// exact under concurrent inputs, and a rebuild from the pledges repairs them.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <map>

#include "core/clock.hpp"
#include "pledges/pledge_store.hpp"
#include "redis/connection.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::pledges {
namespace {

using namespace std::chrono_literals;
using counts = std::map<std::string, std::int64_t, std::less<>>;

class PledgeStats : public ::testing::Test {
 public:
  void SetUp() override {
    conn.start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn.ready(); }, 5s));
  }

  static pledge_record record(const std::string& id, std::int64_t amount_minor,
                              const std::string& currency, interval every) {
    pledge_record p;
    p.id = id;
    p.amount_minor = amount_minor;
    p.currency = currency;
    p.every = every;
    p.payment_method = "card";
    p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
    p.checkout_session_id = "cs_" + id;
    p.checkout_url = "https://checkout.example/" + id;
    p.manage_token_sha256 = "ab";
    return p;
  }

  void create(const pledge_record& p) {
    ASSERT_TRUE(*test::run(io, store.create(p, "", 201, "{}")));
  }

  provider_update update(const std::string& pledge_id, pledge_event input) {
    provider_update u;
    u.event_id = "evt_" + std::to_string(++events_sent);
    u.reference = u.event_id;
    u.pledge_id = pledge_id;
    u.input = input;
    if (input == pledge_event::renewal_paid || input == pledge_event::checkout_completed) {
      u.increments = {{"charges_succeeded", 1}};
    }
    return u;
  }

  // What a provider's webhook does to the pledge.
  provider_update_result provider(const std::string& pledge_id, pledge_event input) {
    auto r = test::run(io, store.apply_provider_update(update(pledge_id, input), "test", 1h));
    EXPECT_TRUE(r);
    return r ? *r : provider_update_result{};
  }

  // A hash exactly as Redis holds it, fields at zero left out.
  counts hash(const std::string& name) {
    auto lines = server.cli({"HGETALL", prefix + name});
    counts out;
    for (std::size_t i = 0; i + 1 < lines.size(); i += 2) {
      if (auto n = std::stoll(lines[i + 1]); n != 0) {
        out[lines[i]] = n;
      }
    }
    return out;
  }

  // The rebuild from the pledges, which must find nothing to correct.
  void expect_consistent() {
    auto r = test::run(io, store.reconcile_stats());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->what, reconciliation::outcome::replaced);
    EXPECT_FALSE(r->corrected);
  }

  test::redis_server server;
  net::io_context io;
  std::string why;
  redis::connection conn{
      io, redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
      nullptr};
  const std::string prefix = "t:";
  pledge_store store{conn, prefix};
  int events_sent = 0;
};

TEST_F(PledgeStats, TransitionsMoveTheCountsInAndOut) {
  create(record("pl_m", 500, "USD", interval::month));
  create(record("pl_y", 1000, "EUR", interval::year));
  create(record("pl_once", 2500, "USD", interval::once));
  create(record("pl_jpy", 2, "JPY", interval::year));  // a yearly share that rounds to 0
  EXPECT_EQ(hash("stats:active"), counts{});           // pending counts for nothing

  // pending -> active by the provider's checkout completion: the monthly amount, a twelfth of
  // the yearly one (rounded down); a one-off gift is never recurring revenue.
  EXPECT_EQ(provider("pl_m", pledge_event::checkout_completed).after, pledge_state::active);
  EXPECT_EQ(provider("pl_y", pledge_event::checkout_completed).after, pledge_state::active);
  EXPECT_EQ(provider("pl_once", pledge_event::checkout_completed).after, pledge_state::paid);
  EXPECT_EQ(provider("pl_jpy", pledge_event::renewal_paid).after, pledge_state::active);
  EXPECT_EQ(hash("stats:active"), (counts{{"EUR", 1}, {"JPY", 1}, {"USD", 1}}));
  EXPECT_EQ(hash("stats:mrr_minor"), (counts{{"EUR", 83}, {"USD", 500}}));
  EXPECT_EQ(server.cli({"HGET", "t:stats:mrr_minor", "JPY"}), std::vector<std::string>{"0"});

  // A duplicate event and an input that does not apply change nothing.
  auto u = update("pl_m", pledge_event::checkout_completed);
  test::run(io, store.apply_provider_update(u, "test", 1h));
  EXPECT_EQ(test::run(io, store.apply_provider_update(u, "test", 1h))->what,
            provider_update_result::outcome::duplicate);
  EXPECT_EQ(test::run(io, store.apply("pl_m", pledge_event::checkout_completed, "test", ""))->what,
            transition_result::outcome::ignored);

  // active -> past_due -> active: still a live subscription throughout.
  EXPECT_EQ(provider("pl_m", pledge_event::renewal_failed).after, pledge_state::past_due);
  EXPECT_EQ(hash("stats:active"), (counts{{"EUR", 1}, {"JPY", 1}, {"USD", 1}}));
  EXPECT_EQ(hash("stats:mrr_minor"), (counts{{"EUR", 83}, {"USD", 500}}));
  EXPECT_EQ(provider("pl_m", pledge_event::renewal_paid).after, pledge_state::active);
  EXPECT_EQ(hash("stats:mrr_minor"), (counts{{"EUR", 83}, {"USD", 500}}));

  // Out: the reader cancels, the provider ends a subscription, a dispute.
  auto canceled = test::run(io, store.apply("pl_m", pledge_event::cancel_requested, "api", ""));
  EXPECT_EQ(canceled->after, pledge_state::canceled);
  EXPECT_EQ(provider("pl_jpy", pledge_event::subscription_ended).after, pledge_state::canceled);
  EXPECT_EQ(hash("stats:active"), (counts{{"EUR", 1}}));
  EXPECT_EQ(hash("stats:mrr_minor"), (counts{{"EUR", 83}}));
  EXPECT_EQ(provider("pl_y", pledge_event::dispute_opened).after, pledge_state::disputed);
  EXPECT_EQ(hash("stats:active"), counts{});
  EXPECT_EQ(hash("stats:mrr_minor"), counts{});

  // The same figures through the store, and the rule in C++ agrees with the scripts.
  auto stats = test::run(io, store.stats());
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->totals.same_as(recurring_totals{}));
  EXPECT_FALSE(stats->reconciled_at_ms);
  expect_consistent();
}

TEST_F(PledgeStats, APledgeStoredActiveCountsAtOnce) {
  auto p = record("pl_direct", 1200, "GBP", interval::year);
  p.status = pledge_state::active;
  create(p);
  EXPECT_EQ(hash("stats:active"), (counts{{"GBP", 1}}));
  EXPECT_EQ(hash("stats:mrr_minor"), (counts{{"GBP", 100}}));
  EXPECT_FALSE(*test::run(io, store.create(p, "", 201, "{}")));  // exists: counted once
  EXPECT_EQ(hash("stats:active"), (counts{{"GBP", 1}}));
  expect_consistent();
}

awaitable<void> send(pledge_store& store, provider_update u, int& done) {
  co_await store.apply_provider_update(u, "test", 1h);
  ++done;
}

awaitable<void> cancel(pledge_store& store, std::string id, int& done) {
  co_await store.apply(id, pledge_event::cancel_requested, "api", "");
  ++done;
}

TEST_F(PledgeStats, ConcurrentInputsKeepTheCountsExact) {
  // Forty pledges in two currencies, monthly and yearly, with different amounts. Every one gets
  // three copies of its completion (distinct events, as Stripe's retries with new ids would),
  // a failed and a paid renewal, all at once; every other one also a cancellation. Whatever the
  // order, the odd ones end active (or past due) and the even ones canceled.
  constexpr int pledges = 40;
  counts active;
  counts mrr;
  for (int i = 0; i < pledges; ++i) {
    const auto every = i % 3 == 0 ? interval::year : interval::month;
    const std::string currency = i % 2 == 0 ? "USD" : (i % 4 == 1 ? "EUR" : "GBP");
    const std::int64_t amount = 200 + 37 * i;
    create(record("pl_" + std::to_string(i), amount, currency, every));
    if (i % 2 == 1) {
      active[currency] += 1;
      mrr[currency] += every == interval::year ? amount / 12 : amount;
    }
  }
  int done = 0;
  int sent = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < pledges; ++i) {
      const auto id = "pl_" + std::to_string(i);
      net::co_spawn(io, send(store, update(id, pledge_event::checkout_completed), done),
                    net::detached);
      ++sent;
      if (round == 1) {
        net::co_spawn(io, send(store, update(id, pledge_event::renewal_failed), done),
                      net::detached);
        net::co_spawn(io, send(store, update(id, pledge_event::renewal_paid), done), net::detached);
        sent += 2;
        if (i % 2 == 0) {
          net::co_spawn(io, cancel(store, id, done), net::detached);
          ++sent;
        }
      }
    }
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return done == sent; }, 20s));
  EXPECT_EQ(hash("stats:active"), active);
  EXPECT_EQ(hash("stats:mrr_minor"), mrr);
  expect_consistent();
}

TEST_F(PledgeStats, ReconcileRepairsDamagedHashes) {
  for (int i = 0; i < 5; ++i) {
    const auto id = "pl_" + std::to_string(i);
    create(record(id, 500, i < 3 ? "USD" : "EUR", i == 4 ? interval::year : interval::month));
    provider(id, pledge_event::checkout_completed);
  }
  create(record("pl_pending", 900, "USD", interval::month));
  const counts active{{"EUR", 2}, {"USD", 3}};
  const counts mrr{{"EUR", 541}, {"USD", 1500}};
  ASSERT_EQ(hash("stats:active"), active);
  ASSERT_EQ(hash("stats:mrr_minor"), mrr);

  // Damage by hand: a wrong count, a wrong sum, a currency no pledge has.
  server.cli({"HSET", "t:stats:active", "USD", "999"});
  server.cli({"HSET", "t:stats:mrr_minor", "EUR", "1"});
  server.cli({"HSET", "t:stats:active", "CHF", "4"});
  auto r = test::run(io, store.reconcile_stats());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->what, reconciliation::outcome::replaced);
  EXPECT_EQ(r->scanned, 6);  // the pledges, not their :events lists
  EXPECT_TRUE(r->corrected);
  EXPECT_EQ(r->totals.active, active);
  EXPECT_EQ(r->totals.mrr_minor, mrr);
  EXPECT_EQ(r->before.active, (counts{{"CHF", 4}, {"EUR", 2}, {"USD", 999}}));
  EXPECT_EQ(r->before.mrr_minor, (counts{{"EUR", 1}, {"USD", 1500}}));
  EXPECT_EQ(hash("stats:active"), active);
  EXPECT_EQ(hash("stats:mrr_minor"), mrr);

  // Repaired, the counts go on moving from there, and the store says when they were rebuilt.
  provider("pl_0", pledge_event::subscription_ended);
  EXPECT_EQ(hash("stats:active"), (counts{{"EUR", 2}, {"USD", 2}}));
  auto stats = test::run(io, store.stats());
  ASSERT_TRUE(stats && stats->reconciled_at_ms);
  EXPECT_NEAR(static_cast<double>(*stats->reconciled_at_ms),
              static_cast<double>(core::now_unix_ms()), 60'000);
  expect_consistent();

  // Gone altogether (a flushed or restored Redis): rebuilt the same way.
  server.cli({"DEL", "t:stats:active", "t:stats:mrr_minor"});
  r = test::run(io, store.reconcile_stats());
  EXPECT_TRUE(r->corrected);
  EXPECT_EQ(hash("stats:active"), (counts{{"EUR", 2}, {"USD", 2}}));
}

awaitable<void> reconcile(pledge_store& store, int& done, int& replaced) {
  auto r = co_await store.reconcile_stats(50);
  replaced += r && r->what == reconciliation::outcome::replaced;
  ++done;
}

TEST_F(PledgeStats, ReconcileRacingInputsNeverLeavesWrongCounts) {
  // Rebuilds while pledges come and go: a rebuild whose pledges changed before it wrote starts
  // over, so what it writes is never stale.
  constexpr int pledges = 300;
  for (int i = 0; i < pledges; ++i) {
    create(record("pl_" + std::to_string(i), 300 + i, "USD", interval::month));
  }
  int done = 0;
  int sent = 0;
  int replaced = 0;
  for (int i = 0; i < pledges; ++i) {
    const auto id = "pl_" + std::to_string(i);
    net::co_spawn(io, send(store, update(id, pledge_event::checkout_completed), done),
                  net::detached);
    ++sent;
    if (i % 3 == 0) {
      net::co_spawn(io, cancel(store, id, done), net::detached);
      ++sent;
    }
    if (i % 50 == 0) {
      net::co_spawn(io, reconcile(store, done, replaced), net::detached);
      ++sent;
    }
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return done == sent; }, 30s));
  EXPECT_GT(replaced, 0);
  expect_consistent();
  EXPECT_EQ(hash("stats:active"), (counts{{"USD", pledges - pledges / 3}}));
}

}  // namespace
}  // namespace supportd::pledges

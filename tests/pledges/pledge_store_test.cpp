// The pledge store against a real redis-server: idempotent intake and atomic transitions under
// concurrent inputs.
#include "pledges/pledge_store.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "core/clock.hpp"
#include "redis/connection.hpp"
#include "support/redis_fixture.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::pledges {
namespace {

using namespace std::chrono_literals;

class PledgeStore : public test::redis_fixture {
 public:
  pledge_record record(const std::string& id, interval every = interval::month) {
    pledge_record p;
    p.id = id;
    p.amount_minor = 500;
    p.currency = "USD";
    p.every = every;
    p.payment_method = "card";
    p.source.campaign = "winter";
    p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
    p.checkout_session_id = "cs_" + id;
    p.checkout_url = "https://checkout.example/" + id;
    p.manage_token_sha256 = "ab";
    return p;
  }
};

// What one concurrent duplicate request does: claim, and if it won, create.
awaitable<void> intake(pledge_store& store, std::string id, int& created, int& waited,
                       PledgeStore* fixture) {
  auto claim = co_await store.reserve("key-1", "hash-1", id, 30s);
  if (!claim) {
    co_return;
  }
  if (claim->what == reservation::outcome::reserved) {
    auto p = fixture->record(claim->pledge_id);
    auto ok = co_await store.create(p, "key-1", 201, R"({"id":")" + claim->pledge_id + "\"}");
    if (ok && *ok) {
      ++created;
    }
  } else if (claim->what == reservation::outcome::in_progress) {
    ++waited;
  }
}

TEST_F(PledgeStore, HundredIdenticalPostsAtOnceMakeOnePledge) {
  pledge_store store(*conn, prefix);
  int created = 0;
  int waited = 0;
  for (int i = 0; i < 100; ++i) {
    net::co_spawn(io, intake(store, "pl_" + std::to_string(i), created, waited, this),
                  net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return created + waited == 100; }, 10s));
  EXPECT_EQ(created, 1);
  EXPECT_EQ(waited, 99);

  // Afterwards the same request replays the saved answer; another body conflicts.
  auto again = test::run(io, store.reserve("key-1", "hash-1", "pl_new", 30s));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->what, reservation::outcome::replay);
  EXPECT_EQ(again->status, 201);
  EXPECT_TRUE(again->body.starts_with(R"({"id":"pl_)"));
  auto other = test::run(io, store.reserve("key-1", "hash-2", "pl_new", 30s));
  EXPECT_EQ(other->what, reservation::outcome::conflict);

  std::string_view scan[] = {"KEYS", "t:pledge:*"};
  auto keys = test::run(io, conn->command(scan));
  EXPECT_EQ(keys->elements.size(), 2u);  // one pledge and its events list
}

TEST_F(PledgeStore, ReleasedClaimsLeaveNothingBehind) {
  pledge_store store(*conn, prefix);
  auto claim = test::run(io, store.reserve("key-2", "h", "pl_x", 30s));
  ASSERT_EQ(claim->what, reservation::outcome::reserved);
  ASSERT_TRUE(test::run(io, store.release("key-2")));
  std::string_view scan[] = {"KEYS", "t:*"};
  EXPECT_TRUE(test::run(io, conn->command(scan))->elements.empty());
  EXPECT_EQ(test::run(io, store.reserve("key-2", "other", "pl_y", 30s))->what,
            reservation::outcome::reserved);
}

TEST_F(PledgeStore, RoundTripWithAuditTrail) {
  pledge_store store(*conn, prefix);
  ASSERT_TRUE(*test::run(io, store.create(record("pl_rt"), "", 201, "{}")));
  EXPECT_FALSE(*test::run(io, store.create(record("pl_rt"), "", 201, "{}")));  // exists
  auto found = test::run(io, store.find("pl_rt"));
  ASSERT_TRUE(found && *found);
  const auto& p = **found;
  EXPECT_EQ(p.status, pledge_state::pending);
  EXPECT_EQ(p.amount_minor, 500);
  EXPECT_EQ(p.every, interval::month);
  EXPECT_EQ(p.source.campaign, "winter");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].event(), "created");
  EXPECT_FALSE(*test::run(io, store.find("pl_missing")));
}

awaitable<void> apply_event(pledge_store& store, pledge_event e,
                            std::vector<transition_result>& out) {
  auto r = co_await store.apply("pl_race", e, "test", "");
  if (r) {
    out.push_back(*r);
  }
}

TEST_F(PledgeStore, ConcurrentInputsApplyAtomicallyThroughTheTable) {
  pledge_store store(*conn, prefix);
  ASSERT_TRUE(*test::run(io, store.create(record("pl_race"), "", 201, "{}")));
  std::vector<transition_result> results;
  // Fifty copies each of a completion and a cancellation, all at once.
  for (int i = 0; i < 50; ++i) {
    net::co_spawn(io, apply_event(store, pledge_event::checkout_completed, results), net::detached);
    net::co_spawn(io, apply_event(store, pledge_event::cancel_requested, results), net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return results.size() == 100; }, 10s));
  auto applied = std::count_if(results.begin(), results.end(), [](const auto& r) {
    return r.what == transition_result::outcome::applied;
  });
  // pending -> active -> canceled, or pending -> canceled: never more changes than that.
  auto p = **test::run(io, store.find("pl_race"));
  EXPECT_EQ(p.status, pledge_state::canceled);
  EXPECT_EQ(static_cast<std::size_t>(applied), p.events.size() - 1);
  EXPECT_LE(applied, 2);
  for (std::size_t i = 1; i < p.events.size(); ++i) {
    EXPECT_EQ(p.events[i].from_state(), p.events[i - 1].to_state());  // an unbroken chain
  }
  auto missing = test::run(io, store.apply("pl_nope", pledge_event::cancel_requested, "test", ""));
  EXPECT_EQ(missing->what, transition_result::outcome::missing);
}

// A renewal's invoice.paid for pledge `id`: one charge of 500, counted once as `invoice`.
provider_update renewal(const std::string& event_id, const std::string& id,
                        const std::string& invoice) {
  provider_update u;
  u.event_id = u.reference = event_id;
  u.pledge_id = id;
  u.input = pledge_event::renewal_paid;
  u.increments = {{"charges_succeeded", 1}, {"total_given_minor", 500}};
  u.fields = {{"consecutive_failures", "0"}};
  u.count_once_as = invoice;
  return u;
}

// A payment is counted once however often its events are applied: after the dedupe mark of
// the event that counted it is gone (expired, lost with a restore) a copy of the event, or
// another event naming the same invoice, moves nothing but what it sets.
TEST_F(PledgeStore, APaymentIsCountedOnceEvenWhenItsDedupeMarkIsGone) {
  pledge_store store(*conn, prefix);
  ASSERT_TRUE(*test::run(io, store.create(record("pl_once"), "", 201, "{}")));
  auto apply = [&](const provider_update& u) {
    return test::run(io, store.apply_provider_update(u, "test", 1h))->what;
  };
  using applied_as = provider_update_result::outcome;
  EXPECT_EQ(apply(renewal("evt_a", "pl_once", "in_1")), applied_as::applied);
  EXPECT_EQ(apply(renewal("evt_a", "pl_once", "in_1")), applied_as::duplicate);
  server.cli({"DEL", prefix + "seen:evt_a"});
  EXPECT_EQ(apply(renewal("evt_a", "pl_once", "in_1")), applied_as::applied);
  EXPECT_EQ(apply(renewal("evt_b", "pl_once", "in_1")), applied_as::applied);
  auto p = **test::run(io, store.find("pl_once"));
  EXPECT_EQ(p.status, pledge_state::active);
  EXPECT_EQ(p.charges_succeeded, 1);
  EXPECT_EQ(p.total_given_minor, 500);

  // The next invoice is another payment; an event naming none counts every time it is new.
  EXPECT_EQ(apply(renewal("evt_c", "pl_once", "in_2")), applied_as::applied);
  EXPECT_EQ(apply(renewal("evt_d", "pl_once", "")), applied_as::applied);
  EXPECT_EQ(apply(renewal("evt_e", "pl_once", "")), applied_as::applied);
  p = **test::run(io, store.find("pl_once"));
  EXPECT_EQ(p.charges_succeeded, 4);
  EXPECT_EQ(p.total_given_minor, 2000);

  // The marks say which events were applied, in the order asked.
  auto marks = test::run(io, store.applied_events({"evt_c", "evt_nope", "evt_a"}));
  ASSERT_TRUE(marks);
  EXPECT_EQ(*marks, (std::vector<bool>{true, false, true}));
  EXPECT_TRUE(test::run(io, store.applied_events({}))->empty());
}

}  // namespace
}  // namespace supportd::pledges

// The reader's changes to a recurring pledge (the use cases behind POST /v1/pledges/{id}/amount,
// /pause, /resume and /payment-method) against a real redis-server and a fake payment provider:
// the provider is asked first, the change recorded after; a change the provider did not make is
// not recorded; the same change again adds nothing; the MRR follows a new amount.
#include "pledges/pledge_changes.hpp"

#include "core/clock.hpp"
#include "metrics/registry.hpp"
#include "pledges/fake_checkout_provider.hpp"
#include "pledges/pledge_limits.hpp"
#include "pledges/pledge_links.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_store.hpp"
#include "support/redis_fixture.hpp"
#include "webhooks/stripe_event.hpp"

namespace supportd::pledges {
namespace {

using namespace std::chrono_literals;
using kind = change_outcome::kind;
using counts = std::map<std::string, std::int64_t, std::less<>>;

// 2026-03-31T10:00:00Z and 2026-01-15T08:30:00Z, as unix seconds.
constexpr std::int64_t march_31 = 1774951200;
constexpr std::int64_t january_15 = 1768465800;

class PledgeChanges : public test::redis_fixture {
 public:
  void SetUp() override {
    redis_fixture::SetUp();
    store = std::make_unique<pledge_store>(*conn, prefix);
    changes = std::make_unique<pledge_changes>(*store, &provider, limits, links, stats);
  }

  pledge_record pending(const std::string& id, interval every = interval::month,
                        std::int64_t amount_minor = 500) {
    pledge_record p;
    p.id = id;
    p.amount_minor = amount_minor;
    p.currency = "USD";
    p.every = every;
    p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
    p.checkout_session_id = "cs_" + id;
    p.checkout_url = "https://checkout.test/pay/cs_" + id;
    EXPECT_TRUE(*test::run(io, store->create(p, "", 201, "")));
    return found(id);
  }

  // A pledge whose checkout was paid, as Stripe's completion event tells it (its customer
  // included); a monthly one renews next on `next_charge_ms`.
  pledge_record active(const std::string& id, interval every = interval::month,
                       std::int64_t next_charge_ms = 0) {
    pending(id, every);
    provider_update paid;
    paid.event_id = "evt_paid_" + id;
    paid.pledge_id = id;
    paid.subscription_id = "sub_" + id;
    paid.input = pledge_event::checkout_completed;
    paid.fields = {{"subscription_id", "sub_" + id}, {"customer_id", "cus_" + id}};
    if (next_charge_ms > 0) {
      paid.fields.emplace_back("next_charge_at_ms", std::to_string(next_charge_ms));
    }
    EXPECT_EQ(test::run(io, store->apply_provider_update(paid, "test", 1h))->what,
              provider_update_result::outcome::applied);
    return found(id);
  }

  pledge_record found(const std::string& id) { return **test::run(io, store->find(id)); }

  change_outcome change_amount(const pledge_record& p, amount_fields requested,
                               std::string_view by = "reader") {
    return test::run(io, changes->change_amount(p, requested, by, trace));
  }
  change_outcome pause(const pledge_record& p, std::optional<std::int64_t> months) {
    return test::run(io, changes->pause(p, months, "reader", trace));
  }
  change_outcome resume(const pledge_record& p) {
    return test::run(io, changes->resume(p, "reader", trace));
  }

  counts mrr() { return test::run(io, store->stats())->totals.mrr_minor; }

  metrics::registry registry;
  pledge_metrics stats = pledge_metrics::create(registry);
  test::fake_checkout_provider provider;
  pledge_limits limits;  // 2 to 10,000 USD a month
  pledge_links links{"0123456789abcdef0123456789abcdef", "https://support.test", ""};
  const trace_context trace = trace_context::start();
  std::unique_ptr<pledge_store> store;
  std::unique_ptr<pledge_changes> changes;
};

TEST_F(PledgeChanges, ANewAmountIsMadeAtTheProviderThenRecordedAndTheMrrFollows) {
  auto p = active("pl_a");
  EXPECT_EQ(mrr(), (counts{{"USD", 500}}));
  auto done = change_amount(p, {.amount = "7.50"});
  ASSERT_EQ(done.what, kind::done);
  EXPECT_TRUE(done.changed);

  ASSERT_EQ(provider.amount_changes.size(), 1u);
  const auto& asked = provider.amount_changes[0];
  EXPECT_EQ(asked.subscription_id, "sub_pl_a");
  EXPECT_EQ(asked.pledge_id, "pl_a");
  EXPECT_EQ(asked.amount_minor, 750);
  EXPECT_EQ(asked.money.code, "USD");
  EXPECT_EQ(asked.every, interval::month);
  EXPECT_EQ(asked.idempotency_key, "pledge-amount-pl_a-0-750");
  EXPECT_TRUE(asked.traceparent.starts_with("00-" + std::string(trace.trace_id())));

  auto after = found("pl_a");
  EXPECT_EQ(after.amount_minor, 750);
  EXPECT_EQ(after.status, pledge_state::active);
  const auto& last = after.events.back();
  EXPECT_EQ(last.event(), "amount_changed");
  EXPECT_EQ(last.from_state(), "active");
  EXPECT_EQ(last.to_state(), "active");
  EXPECT_EQ(last.source(), "reader");
  EXPECT_EQ(last.reference(), "pledge-amount-pl_a-0-750");
  EXPECT_EQ(mrr(), (counts{{"USD", 750}}));
  EXPECT_EQ(stats.changes.with({"amount_changed"}).value(), 1u);
}

TEST_F(PledgeChanges, AYearlyPledgesNewAmountMovesTheMrrByATwelfth) {
  auto p = active("pl_y", interval::year);
  ASSERT_EQ(mrr(), (counts{{"USD", 41}}));  // 500 / 12
  ASSERT_EQ(change_amount(p, {.amount_minor = 12000}, "admin").what, kind::done);
  EXPECT_EQ(mrr(), (counts{{"USD", 1000}}));
  EXPECT_EQ(found("pl_y").events.back().source(), "admin");
}

TEST_F(PledgeChanges, TheSameAmountAgainChangesNothingAnywhere) {
  auto p = active("pl_a");
  ASSERT_TRUE(change_amount(p, {.amount = "7.50"}).changed);
  auto again = change_amount(found("pl_a"), {.amount_minor = 750});
  EXPECT_EQ(again.what, kind::done);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(provider.amount_changes.size(), 1u);
  EXPECT_EQ(found("pl_a").events.size(), p.events.size() + 1);
  EXPECT_EQ(mrr(), (counts{{"USD", 750}}));
}

TEST_F(PledgeChanges, GoingBackToAnEarlierAmountIsANewChangeAtTheProvider) {
  auto p = active("pl_a");
  ASSERT_TRUE(change_amount(p, {.amount = "7.50"}).changed);
  ASSERT_TRUE(change_amount(found("pl_a"), {.amount = "5"}).changed);
  ASSERT_TRUE(change_amount(found("pl_a"), {.amount = "7.50"}).changed);
  ASSERT_EQ(provider.amount_changes.size(), 3u);
  // A key used before would be answered with the first change's saved response: nothing done.
  EXPECT_EQ(provider.amount_changes[0].idempotency_key, "pledge-amount-pl_a-0-750");
  EXPECT_EQ(provider.amount_changes[1].idempotency_key, "pledge-amount-pl_a-1-500");
  EXPECT_EQ(provider.amount_changes[2].idempotency_key, "pledge-amount-pl_a-2-750");
  EXPECT_EQ(found("pl_a").amount_minor, 750);
}

TEST_F(PledgeChanges, AnAmountOutsideTheLimitsIsRefusedAsANewPledgeWouldBe) {
  auto p = active("pl_a");
  auto small = change_amount(p, {.amount = "1.99"});
  ASSERT_EQ(small.what, kind::invalid);
  ASSERT_EQ(small.errors.size(), 1u);
  EXPECT_EQ(small.errors[0].field, "amount");
  EXPECT_EQ(small.errors[0].code, "too_small");
  EXPECT_EQ(small.errors[0].message, "The smallest month amount is 2.00 USD.");
  auto large = change_amount(p, {.amount_minor = 1000001});
  ASSERT_EQ(large.what, kind::invalid);
  EXPECT_EQ(large.errors[0].field, "amount_minor");
  EXPECT_EQ(large.errors[0].code, "too_large");
  EXPECT_EQ(change_amount(p, {.amount = "7.505"}).errors[0].code, "invalid");
  EXPECT_EQ(change_amount(p, {}).errors[0].code, "required");
  EXPECT_TRUE(provider.amount_changes.empty());
  EXPECT_EQ(found("pl_a").amount_minor, 500);
}

TEST_F(PledgeChanges, OnlyARunningSubscriptionChanges) {
  pledge_record once = pending("pl_once", interval::once);
  EXPECT_EQ(change_amount(once, {.amount = "7"}).what, kind::not_recurring);
  EXPECT_EQ(pause(once, 1).what, kind::not_recurring);
  EXPECT_EQ(resume(once).what, kind::not_recurring);
  auto unpaid = pending("pl_new");
  EXPECT_EQ(change_amount(unpaid, {.amount = "7"}).what, kind::not_started);
  auto ended = active("pl_end");
  ASSERT_EQ(
      test::run(io, store->apply("pl_end", pledge_event::cancel_requested, "reader", ""))->what,
      transition_result::outcome::applied);
  ended = found("pl_end");
  EXPECT_EQ(change_amount(ended, {.amount = "7"}).what, kind::ended);
  EXPECT_EQ(pause(ended, 1).what, kind::ended);
  EXPECT_EQ(test::run(io, changes->open_payment_method_page(ended, trace)).what, kind::ended);
  EXPECT_TRUE(provider.amount_changes.empty());
  EXPECT_TRUE(provider.pauses.empty());
  EXPECT_TRUE(provider.payment_method_pages.empty());
}

TEST_F(PledgeChanges, APledgeThatEndsMeanwhileIsNotChangedAfterwards) {
  auto p = active("pl_a");
  // Stripe's event ends it between the read and the change: the record is left as it is.
  ASSERT_EQ(
      test::run(io, store->apply("pl_a", pledge_event::subscription_ended, "stripe", ""))->what,
      transition_result::outcome::applied);
  EXPECT_EQ(change_amount(p, {.amount = "7"}).what, kind::ended);
  auto after = found("pl_a");
  EXPECT_EQ(after.amount_minor, 500);
  EXPECT_EQ(after.events.back().event(), "subscription_ended");
  EXPECT_EQ(mrr(), (counts{{"USD", 0}}));
}

TEST_F(PledgeChanges, WhenTheProviderFailsNothingIsRecorded) {
  auto p = active("pl_a", interval::month, (january_15 + 86400) * 1000);
  provider.failing = test::fake_checkout_provider::error_kind::unavailable;
  EXPECT_EQ(change_amount(p, {.amount = "7"}).what, kind::provider_unavailable);
  EXPECT_EQ(pause(p, 2).what, kind::provider_unavailable);
  EXPECT_EQ(resume(p).what, kind::provider_unavailable);
  provider.failing = test::fake_checkout_provider::error_kind::rejected;
  EXPECT_EQ(change_amount(p, {.amount = "7"}).what, kind::provider_rejected);
  auto after = found("pl_a");
  EXPECT_EQ(after.amount_minor, 500);
  EXPECT_EQ(after.paused_until_ms, 0);
  EXPECT_EQ(after.events.size(), p.events.size());
  EXPECT_EQ(mrr(), (counts{{"USD", 500}}));
}

TEST_F(PledgeChanges, AChangeTheProviderMadeButRedisMissedIsMadeAgainUnderTheSameKey) {
  auto p = active("pl_a");
  server.kill();
  EXPECT_EQ(change_amount(p, {.amount = "7"}).what, kind::store_unavailable);
  server.restart();
  ASSERT_TRUE(test::run_until(
      io, [&] { return conn->ready(); }, 5s));
  // The reader asks again: the provider hears the same key, so it answers as the first time
  // instead of changing twice, and the change is recorded once.
  auto again = change_amount(found("pl_a"), {.amount = "7"});
  ASSERT_EQ(again.what, kind::done);
  EXPECT_TRUE(again.changed);
  ASSERT_EQ(provider.amount_changes.size(), 2u);
  EXPECT_EQ(provider.amount_changes[1].idempotency_key, provider.amount_changes[0].idempotency_key);
  auto after = found("pl_a");
  EXPECT_EQ(after.amount_minor, 700);
  EXPECT_EQ(after.events.size(), p.events.size() + 1);
}

TEST_F(PledgeChanges, WithoutAProviderAChangeIsRefused) {
  pledge_changes offline(*store, nullptr, limits, links, stats);
  auto p = active("pl_a");
  EXPECT_EQ(test::run(io, offline.change_amount(p, {.amount = "7"}, "reader", trace)).what,
            kind::provider_off);
  EXPECT_EQ(test::run(io, offline.pause(p, 1, "reader", trace)).what, kind::provider_off);
  EXPECT_EQ(found("pl_a").amount_minor, 500);
}

TEST_F(PledgeChanges, APauseSkipsTheNextRenewalsAndIsRecordedOnce) {
  const auto next_charge_ms = (core::now_unix_seconds() + 10 * 86400) * 1000;
  auto p = active("pl_a", interval::month, next_charge_ms);
  auto done = pause(p, 2);
  ASSERT_EQ(done.what, kind::done);
  EXPECT_TRUE(done.changed);
  const auto resumes_at = pause_resumes_at(next_charge_ms, core::now_unix_ms(), interval::month, 2);
  ASSERT_EQ(provider.pauses.size(), 1u);
  EXPECT_EQ(provider.pauses[0], (std::pair<std::string, std::int64_t>{"sub_pl_a", resumes_at}));
  auto after = found("pl_a");
  EXPECT_EQ(after.paused_until_ms, resumes_at * 1000);
  EXPECT_EQ(after.events.back().event(), "paused");
  EXPECT_EQ(after.events.back().reference(), core::format_rfc3339(resumes_at));
  // Still an active pledge: its MRR stays.
  EXPECT_EQ(after.status, pledge_state::active);
  EXPECT_EQ(mrr(), (counts{{"USD", 500}}));

  // The same pause again: the provider is told the same (idempotent there), nothing new here.
  auto again = pause(after, 2);
  EXPECT_EQ(again.what, kind::done);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(provider.pauses.size(), 2u);
  EXPECT_EQ(provider.pauses[1], provider.pauses[0]);
  EXPECT_EQ(found("pl_a").events.size(), after.events.size());
  EXPECT_EQ(stats.changes.with({"paused"}).value(), 1u);
}

TEST_F(PledgeChanges, MonthsOutsideOneToThreeAreRefused) {
  auto p = active("pl_a");
  for (auto months : {std::optional<std::int64_t>(0), std::optional<std::int64_t>(4),
                      std::optional<std::int64_t>()}) {
    auto refused = pause(p, months);
    ASSERT_EQ(refused.what, kind::invalid);
    ASSERT_EQ(refused.errors.size(), 1u);
    EXPECT_EQ(refused.errors[0].field, "months");
    EXPECT_EQ(refused.errors[0].code, months ? "invalid" : "required");
  }
  EXPECT_TRUE(provider.pauses.empty());
}

TEST_F(PledgeChanges, OnlyAMonthlyPledgePauses) {
  auto p = active("pl_y", interval::year);
  EXPECT_EQ(pause(p, 1).what, kind::not_monthly);
  EXPECT_TRUE(provider.pauses.empty());
  EXPECT_EQ(found("pl_y").paused_until_ms, 0);
}

TEST_F(PledgeChanges, AResumeEndsThePauseAtTheProviderAndHere) {
  auto p = active("pl_a");
  ASSERT_TRUE(pause(p, 1).changed);
  auto done = resume(found("pl_a"));
  ASSERT_EQ(done.what, kind::done);
  EXPECT_TRUE(done.changed);
  ASSERT_EQ(provider.pauses.size(), 2u);
  EXPECT_EQ(provider.pauses[1], (std::pair<std::string, std::int64_t>{"sub_pl_a", 0}));
  auto after = found("pl_a");
  EXPECT_EQ(after.paused_until_ms, 0);
  EXPECT_EQ(after.events.back().event(), "resumed");
  // Resuming what is not paused: the provider is told (its pause is what takes the money), the
  // history is not.
  auto again = resume(after);
  EXPECT_EQ(again.what, kind::done);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(provider.pauses.size(), 3u);
  EXPECT_EQ(found("pl_a").events.size(), after.events.size());
}

TEST_F(PledgeChanges, TheCardPageIsOpenedForThePledgesCustomerAndLeadsBackToTheManagePage) {
  auto p = active("pl_a");
  auto done = test::run(io, changes->open_payment_method_page(p, trace));
  ASSERT_EQ(done.what, kind::done);
  EXPECT_EQ(done.url, "https://billing.test/p/session/cus_pl_a");
  ASSERT_EQ(provider.payment_method_pages.size(), 1u);
  EXPECT_EQ(provider.payment_method_pages[0].first, "cus_pl_a");
  const auto& back = provider.payment_method_pages[0].second;
  EXPECT_TRUE(back.starts_with("https://support.test/v1/pledges/pl_a/manage?token=")) << back;
  EXPECT_TRUE(links.manage_token_valid("pl_a", back.substr(back.find("token=") + 6),
                                       core::now_unix_seconds()));
  // Nothing is recorded: the provider's events tell what became of the card.
  EXPECT_EQ(found("pl_a").events.size(), p.events.size());
}

TEST_F(PledgeChanges, WithoutItsCustomerThereIsNoCardPage) {
  auto p = active("pl_a");
  p.customer_id.clear();
  EXPECT_EQ(test::run(io, changes->open_payment_method_page(p, trace)).what, kind::no_customer);
  EXPECT_TRUE(provider.payment_method_pages.empty());
}

// Stripe sends customer.subscription.updated after each change (with pause_collection, the new
// price, previous_attributes), and may send an older one late: neither moves the pledge back.
TEST_F(PledgeChanges, TheProvidersUpdateEventsDoNotUndoAChange) {
  auto p = active("pl_a");
  ASSERT_TRUE(change_amount(p, {.amount = "7"}).changed);
  ASSERT_TRUE(pause(found("pl_a"), 1).changed);
  const auto paused = found("pl_a");
  for (const auto* body : {
           // The pause's own event.
           R"({"id":"evt_u1","type":"customer.subscription.updated","created":1774951200,
               "data":{"object":{"id":"sub_pl_a","object":"subscription","customer":"cus_pl_a",
               "status":"active","current_period_end":1777543200,
               "pause_collection":{"behavior":"void","resumes_at":1777456800},
               "items":{"data":[{"id":"si_1","price":{"unit_amount":700}}]},
               "metadata":{"pledge_id":"pl_a"}},
               "previous_attributes":{"pause_collection":null}}})",
           // An older one (before either change), arriving after them.
           R"({"id":"evt_u0","type":"customer.subscription.updated","created":1774950000,
               "data":{"object":{"id":"sub_pl_a","object":"subscription","customer":"cus_pl_a",
               "status":"active","current_period_end":1777543200,"pause_collection":null,
               "items":{"data":[{"id":"si_1","price":{"unit_amount":500}}]},
               "metadata":{"pledge_id":"pl_a"}},
               "previous_attributes":{"cancel_at_period_end":true}}})",
       }) {
    auto event = webhooks::parse_stripe_event(body);
    ASSERT_EQ(event.kind, webhooks::event_kind::known);
    ASSERT_EQ(test::run(io, store->apply_provider_update(event.update, "stripe", 1h))->what,
              provider_update_result::outcome::applied);
  }
  auto after = found("pl_a");
  EXPECT_EQ(after.status, pledge_state::active);
  EXPECT_EQ(after.amount_minor, 700);
  EXPECT_EQ(after.paused_until_ms, paused.paused_until_ms);
  EXPECT_EQ(after.customer_id, "cus_pl_a");
  EXPECT_EQ(after.next_charge_at_ms, 1777543200000);
  EXPECT_EQ(mrr(), (counts{{"USD", 700}}));
}

TEST(PauseResumesAt, SkipsThatManyIntervalsFromTheNextRenewalLessADay) {
  const std::int64_t day = 86400;
  // Monthly, next renewal March 31st: two renewals skipped (March 31st, April 30th), collection
  // back on May 30th, the day before May 31st's renewal.
  EXPECT_EQ(core::format_rfc3339(
                pause_resumes_at(march_31 * 1000, january_15 * 1000, interval::month, 2)),
            "2026-05-30T10:00:00Z");
  EXPECT_EQ(core::format_rfc3339(
                pause_resumes_at(march_31 * 1000, january_15 * 1000, interval::month, 1)),
            "2026-04-29T10:00:00Z");  // April has 30 days: the renewal is on the 30th
  // Yearly: one renewal is a year.
  EXPECT_EQ(pause_resumes_at(march_31 * 1000, january_15 * 1000, interval::year, 1),
            march_31 + 365 * day - day);
  // No next renewal known, or one past: counted from now.
  EXPECT_EQ(core::format_rfc3339(pause_resumes_at(0, january_15 * 1000, interval::month, 3)),
            "2026-04-14T08:30:00Z");
  EXPECT_EQ(pause_resumes_at(january_15 * 1000 - 5000, january_15 * 1000, interval::month, 3),
            pause_resumes_at(0, january_15 * 1000, interval::month, 3));
}

}  // namespace
}  // namespace supportd::pledges

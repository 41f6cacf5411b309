// Cancelling a pledge (the use case behind POST /v1/pledges/{id}/cancel) against a real
// redis-server and a fake payment provider: the money is stopped first, and nothing changes
// when it cannot be.
#include "pledges/pledge_cancellation.hpp"

#include "core/clock.hpp"
#include "metrics/registry.hpp"
#include "notify/outbox.hpp"
#include "pledges/fake_checkout_provider.hpp"
#include "pledges/message_plan.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_store.hpp"
#include "support/redis_fixture.hpp"

namespace supportd::pledges {
namespace {

using namespace std::chrono_literals;
using kind = cancellation_outcome::kind;

class PledgeCancellation : public test::redis_fixture {
 public:
  void SetUp() override {
    redis_fixture::SetUp();
    store = std::make_unique<pledge_store>(*conn, prefix);
    cancellation = std::make_unique<pledge_cancellation>(*store, &provider, stats);
  }

  // A pending pledge with an unfinished checkout.
  pledge_record pending(const std::string& id) {
    pledge_record p;
    p.id = id;
    p.amount_minor = 500;
    p.currency = "USD";
    p.every = interval::month;
    p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
    p.checkout_session_id = "cs_" + id;
    p.checkout_url = "https://checkout.test/pay/cs_" + id;
    EXPECT_TRUE(*test::run(io, store->create(p, "", 201, "")));
    return found(id);
  }

  // A monthly pledge whose checkout was paid: active, with its subscription.
  pledge_record active(const std::string& id) {
    pending(id);
    provider_update paid;
    paid.event_id = "evt_paid_" + id;
    paid.pledge_id = id;
    paid.subscription_id = "sub_" + id;
    paid.input = pledge_event::checkout_completed;
    paid.fields = {{"subscription_id", "sub_" + id}};
    EXPECT_EQ(test::run(io, store->apply_provider_update(paid, "test", 1h))->what,
              provider_update_result::outcome::applied);
    return found(id);
  }

  pledge_record found(const std::string& id) { return **test::run(io, store->find(id)); }

  // Stripe's customer.subscription.deleted for the pledge's subscription, as parsed.
  static provider_update ended(const std::string& id) {
    provider_update u;
    u.event_id = "evt_deleted_" + id;
    u.reference = u.event_id;
    u.subscription_id = "sub_" + id;
    u.input = pledge_event::subscription_ended;
    return u;
  }

  void conn_command(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    ASSERT_TRUE(test::run(io, conn->command(views)));
  }

  // Who each pledge.canceled message queued for the pledge says ended it.
  std::vector<canceled_by> queued_canceled_by(const std::string& id) {
    const auto keys = notify::outbox_keys::under(prefix);
    std::string_view hgetall[] = {"HGETALL", keys.items};
    auto items = test::run(io, conn->command(hgetall));
    EXPECT_TRUE(items);
    std::vector<canceled_by> out;
    for (std::size_t i = 0; items && i + 1 < items->elements.size(); i += 2) {
      auto m = decode_queued(id, items->elements[i + 1].text);
      if (m && m->type == message_type::canceled) {
        out.push_back(m->ended_by);
      }
    }
    return out;
  }

  cancellation_outcome cancel(const pledge_record& p, std::string_view by = "reader") {
    return test::run(io, cancellation->cancel(p, by, trace));
  }

  metrics::registry registry;
  pledge_metrics stats = pledge_metrics::create(registry);
  test::fake_checkout_provider provider;
  const trace_context trace = trace_context::start();
  std::unique_ptr<pledge_store> store;
  std::unique_ptr<pledge_cancellation> cancellation;
};

TEST_F(PledgeCancellation, AnActiveSubscriptionIsEndedAtTheProviderThenRecorded) {
  auto p = active("pl_sub");
  ASSERT_EQ(p.status, pledge_state::active);
  auto done = cancel(p, "reader");
  ASSERT_EQ(done.what, kind::done);
  EXPECT_EQ(done.status, pledge_state::canceled);
  EXPECT_EQ(provider.canceled, std::vector<std::string>{"sub_pl_sub"});
  EXPECT_TRUE(provider.abandoned.empty());
  ASSERT_EQ(provider.traceparents.size(), 1u);
  EXPECT_TRUE(provider.traceparents[0].starts_with("00-" + std::string(trace.trace_id())));

  auto after = found("pl_sub");
  EXPECT_EQ(after.status, pledge_state::canceled);
  const auto& last = after.events.back();
  EXPECT_EQ(last.event(), "cancel_requested");
  EXPECT_EQ(last.from_state(), "active");
  EXPECT_EQ(last.to_state(), "canceled");
  EXPECT_EQ(last.source(), "reader");
  EXPECT_EQ(stats.transitions.with({"active", "canceled"}).value(), 1u);
}

// Stripe sends customer.subscription.deleted while it answers the DELETE: when supportd applies
// that event first, the history and the reader's message still say the reader ended it.
TEST_F(PledgeCancellation, TheProvidersWordThatItEndedAppliedFirstStillNamesWhoAsked) {
  auto p = active("pl_sub");
  conn_command({"HSET", prefix + "pledge:pl_sub", "sealed_email", "sealed"});  // reachable
  provider.while_canceling = [this]() -> awaitable<void> {
    const auto deleted = ended("pl_sub");  // named: not a temporary inside the co_await
    auto applied = co_await store->apply_provider_update(deleted, "stripe", 1h);
    EXPECT_EQ(applied->what, provider_update_result::outcome::applied);
  };
  auto done = cancel(p, "reader");
  ASSERT_EQ(done.what, kind::done);
  EXPECT_EQ(done.status, pledge_state::canceled);

  auto after = found("pl_sub");
  ASSERT_EQ(after.events.size(), p.events.size() + 1);  // one entry, not two
  const auto& last = after.events.back();
  EXPECT_EQ(last.event(), "cancel_requested");
  EXPECT_EQ(last.from_state(), "active");
  EXPECT_EQ(last.to_state(), "canceled");
  EXPECT_EQ(last.source(), "reader");
  EXPECT_EQ(queued_canceled_by("pl_sub"), std::vector<canceled_by>{canceled_by::reader});
}

TEST_F(PledgeCancellation, TheProvidersWordLongAfterARequestIsItsOwn) {
  auto p = active("pl_sub");
  conn_command({"HSET", prefix + "pledge:pl_sub", "sealed_email", "sealed"});
  const auto long_ago = core::now_unix_ms() - 16 * 60 * 1000;
  conn_command(
      {"HSET", prefix + "pledge:pl_sub", "cancel_asked", "admin " + std::to_string(long_ago)});
  auto applied = test::run(io, store->apply_provider_update(ended("pl_sub"), "stripe", 1h));
  EXPECT_EQ(applied->what, provider_update_result::outcome::applied);
  const auto after = found("pl_sub");
  const auto& last = after.events.back();
  EXPECT_EQ(last.event(), "subscription_ended");
  EXPECT_EQ(last.source(), "stripe");
  EXPECT_EQ(queued_canceled_by("pl_sub"), std::vector<canceled_by>{canceled_by::provider});
}

TEST_F(PledgeCancellation, ARefusedRequestIsTakenBack) {
  provider.failing = test::fake_checkout_provider::error_kind::unavailable;
  auto p = active("pl_sub");
  EXPECT_EQ(cancel(p).what, kind::provider_unavailable);
  // The provider ending it later, for its own reasons, is not put on the reader.
  auto applied = test::run(io, store->apply_provider_update(ended("pl_sub"), "stripe", 1h));
  EXPECT_EQ(applied->what, provider_update_result::outcome::applied);
  EXPECT_EQ(found("pl_sub").events.back().event(), "subscription_ended");
}

TEST_F(PledgeCancellation, AnUnfinishedCheckoutIsClosedSoItCannotBePaid) {
  auto done = cancel(pending("pl_new"), "admin");
  ASSERT_EQ(done.what, kind::done);
  EXPECT_EQ(done.status, pledge_state::canceled);
  EXPECT_EQ(provider.abandoned, std::vector<std::string>{"cs_pl_new"});
  EXPECT_TRUE(provider.canceled.empty());
  EXPECT_EQ(found("pl_new").events.back().source(), "admin");
}

TEST_F(PledgeCancellation, WhenTheProviderCannotStopTheMoneyNothingChanges) {
  provider.failing = test::fake_checkout_provider::error_kind::unavailable;
  auto p = active("pl_sub");
  const auto history = p.events.size();
  EXPECT_EQ(cancel(p).what, kind::provider_unavailable);
  auto after = found("pl_sub");
  EXPECT_EQ(after.status, pledge_state::active);
  EXPECT_EQ(after.events.size(), history);
  EXPECT_EQ(stats.transitions.with({"active", "canceled"}).value(), 0u);
}

TEST_F(PledgeCancellation, WithoutAProviderMoneyThatMustBeStoppedIsRefused) {
  pledge_cancellation offline(*store, nullptr, stats);
  auto p = active("pl_sub");
  EXPECT_EQ(test::run(io, offline.cancel(p, "reader", trace)).what, kind::provider_off);
  EXPECT_EQ(found("pl_sub").status, pledge_state::active);
}

TEST_F(PledgeCancellation, ACanceledPledgeIsNotCanceledTwice) {
  auto p = active("pl_sub");
  ASSERT_EQ(cancel(p).what, kind::done);
  auto again = cancel(found("pl_sub"));
  EXPECT_EQ(again.what, kind::done);
  EXPECT_EQ(again.status, pledge_state::canceled);
  // The provider was asked once; the history has one cancellation.
  EXPECT_EQ(provider.canceled.size(), 1u);
  EXPECT_EQ(found("pl_sub").events.size(), p.events.size() + 1);
  EXPECT_EQ(stats.transitions.with({"active", "canceled"}).value(), 1u);
}

TEST_F(PledgeCancellation, WithRedisGoneTheCancellationIsUnavailable) {
  auto p = active("pl_sub");
  server.kill();
  EXPECT_EQ(cancel(p).what, kind::store_unavailable);
}

}  // namespace
}  // namespace supportd::pledges

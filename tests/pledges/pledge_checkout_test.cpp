// Starting a pledge (the use case behind POST /v1/pledges) against a real redis-server and a
// fake payment provider: what is stored, what is answered, and what is left behind when a
// step fails.
#include "pledges/pledge_checkout.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "metrics/registry.hpp"
#include "pledges/cancel_links.hpp"
#include "pledges/fake_checkout_provider.hpp"
#include "pledges/idempotent_answers.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_reader.hpp"
#include "pledges/pledge_request.hpp"
#include "pledges/pledge_store.hpp"
#include "redis/replica_wait.hpp"
#include "security/data_keys.hpp"
#include "security/reader_hash.hpp"
#include "security/secrets.hpp"
#include "support/redis_fixture.hpp"

namespace supportd::pledges {
namespace {

using namespace std::chrono_literals;
using kind = checkout_outcome::kind;
namespace json = boost::json;

class PledgeCheckout : public test::redis_fixture {
 public:
  void SetUp() override {
    redis_fixture::SetUp();
    store = std::make_unique<pledge_store>(*conn, prefix);
    replication = std::make_unique<redis::replica_wait>(
        *conn, redis::replica_wait::options{.replicas = 0}, nullptr);
    use(answer_options{.poll_every = 20ms});
  }

  // Builds the use case afresh, its answers kept with `options`.
  void use(answer_options options, std::shared_ptr<const security::data_keys> keys = nullptr) {
    checkout.reset();
    answers = std::make_unique<idempotent_answers>(*store, *replication, options);
    checkout = std::make_unique<pledge_checkout>(*store, *answers, *replication, provider, links,
                                                 std::move(keys), stats);
  }

  static valid_pledge pledge(std::int64_t amount_minor = 500) {
    valid_pledge p;
    p.amount_minor = amount_minor;
    p.money = *find_currency("USD");
    p.every = interval::month;
    p.email = "reader@example.org";
    p.name = "Ada Reader";
    p.payment_method = "card";
    p.source = {"winter", "banner", "", "https://news.example/a", "", "GB"};
    p.locale = "en-GB";
    p.success_url = "https://news.example/thanks";
    p.cancel_url = "https://news.example/donate";
    return p;
  }

  checkout_outcome start(const valid_pledge& p, std::optional<idempotency_key> key,
                         std::string_view hash = "hash-a") {
    return test::run(io, checkout->start(p, key, hash, trace));
  }

  // The keys of stored pledges (not their events), sorted.
  std::vector<std::string> pledge_keys() {
    std::vector<std::string> out;
    for (const auto& k : keys()) {
      if (k.starts_with("t:pledge:") && !k.ends_with(":events")) {
        out.push_back(k);
      }
    }
    return out;
  }

  std::uint64_t created_count() { return stats.created.with({"USD", "month", "banner"}).value(); }

  metrics::registry registry;
  pledge_metrics stats = pledge_metrics::create(registry);
  test::fake_checkout_provider provider;
  const cancel_links links{"0123456789abcdef0123456789abcdef-links", "https://support.test"};
  const trace_context trace =
      trace_context::continue_or_start("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  std::unique_ptr<pledge_store> store;
  std::unique_ptr<redis::replica_wait> replication;
  std::unique_ptr<idempotent_answers> answers;
  std::unique_ptr<pledge_checkout> checkout;
};

TEST_F(PledgeCheckout, ANewPledgeIsStoredPendingAndAnsweredWithItsCheckout) {
  auto created = start(pledge(), idempotency_key("order-1"));
  ASSERT_EQ(created.what, kind::created);
  ASSERT_TRUE(created.body);
  EXPECT_TRUE(created.pledge_id.starts_with("pl_"));
  EXPECT_EQ(created.checkout_url, "https://checkout.test/pay/cs_" + created.pledge_id);

  // The provider was asked once, for this pledge, on the request's trace.
  ASSERT_EQ(provider.checkouts.size(), 1u);
  const auto& asked = provider.checkouts[0];
  EXPECT_EQ(asked.pledge_id, created.pledge_id);
  EXPECT_EQ(asked.amount_minor, 500);
  EXPECT_EQ(asked.customer_email, "reader@example.org");
  EXPECT_EQ(asked.success_url, "https://news.example/thanks");
  EXPECT_TRUE(asked.traceparent.starts_with("00-0af7651916cd43dd8448eb211c80319c-"));
  EXPECT_FALSE(asked.traceparent.ends_with("-b7ad6b7169203331-01"));  // a new parent id

  // The answer: the pledge, its manage token and its cancel link.
  auto body = json::parse(*created.body).as_object();
  EXPECT_EQ(body.at("id").as_string(), created.pledge_id);
  EXPECT_EQ(body.at("status").as_string(), "pending");
  EXPECT_EQ(body.at("checkout_url").as_string(), created.checkout_url);
  EXPECT_EQ(body.at("amount_minor").as_int64(), 500);
  EXPECT_EQ(body.at("currency").as_string(), "USD");
  EXPECT_EQ(body.at("interval").as_string(), "month");
  const std::string token(body.at("manage_token").as_string());
  EXPECT_TRUE(token.starts_with("mt_"));
  const std::string link(body.at("cancel_link").as_string());
  const auto link_prefix =
      "https://support.test/v1/pledges/" + created.pledge_id + "/cancel?token=";
  ASSERT_TRUE(link.starts_with(link_prefix)) << link;
  EXPECT_TRUE(
      links.valid(created.pledge_id, link.substr(link_prefix.size()), core::now_unix_seconds()));

  // Stored: pending, with the token's hash (never the token), no reader hash without data keys.
  auto found = test::run(io, store->find(created.pledge_id));
  ASSERT_TRUE(found && *found);
  const auto& p = **found;
  EXPECT_EQ(p.status, pledge_state::pending);
  EXPECT_EQ(p.amount_minor, 500);
  EXPECT_EQ(p.currency, "USD");
  EXPECT_EQ(p.every, interval::month);
  EXPECT_EQ(p.source.campaign, "winter");
  EXPECT_EQ(p.source.country, "GB");
  EXPECT_EQ(p.locale, "en-GB");
  EXPECT_EQ(p.checkout_session_id, "cs_" + created.pledge_id);
  EXPECT_EQ(p.checkout_url, created.checkout_url);
  EXPECT_EQ(p.manage_token_sha256, security::sha256_hex(token));
  EXPECT_EQ(p.reminder_reader, "");
  EXPECT_EQ(p.sealed_email, "");  // no data keys: no address, so no messages
  EXPECT_EQ(p.sealed_name, "");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].event(), "created");
  EXPECT_EQ(created_count(), 1u);
}

TEST_F(PledgeCheckout, WithDataKeysThePledgeKeepsTheReadersHashAndSealedAddressNeverTheAddress) {
  auto parsed = security::data_keys::parse("k1:" + security::base64(std::string(32, '\x07')));
  auto shared =
      std::make_shared<const security::data_keys>(std::get<security::data_keys>(std::move(parsed)));
  use(answer_options{}, shared);
  auto created = start(pledge(), std::nullopt);
  ASSERT_EQ(created.what, kind::created);
  auto p = **test::run(io, store->find(created.pledge_id));
  EXPECT_EQ(p.reminder_reader, security::reader_hash(*shared, "reader@example.org"));
  // Sealed for the reader's messages, bound to this pledge.
  auto reader = open_reader(*shared, created.pledge_id, p.sealed_email, p.sealed_name);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->email, "reader@example.org");
  EXPECT_EQ(reader->name, "Ada Reader");
  for (const auto& k : keys()) {
    for (const auto& line : server.cli({"--no-raw", "DUMP", k})) {
      EXPECT_EQ(line.find("reader@example.org"), std::string::npos) << k;
      EXPECT_EQ(line.find("Ada Reader"), std::string::npos) << k;
    }
  }
}

TEST_F(PledgeCheckout, TheSameKeyAndRequestReplayTheFirstAnswer) {
  auto first = start(pledge(), idempotency_key("order-1"));
  ASSERT_EQ(first.what, kind::created);
  auto again = start(pledge(), idempotency_key("order-1"));
  ASSERT_EQ(again.what, kind::replayed);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.checkout_url, first.checkout_url);
  EXPECT_EQ(provider.checkouts.size(), 1u);
  EXPECT_EQ(pledge_keys().size(), 1u);
  EXPECT_EQ(created_count(), 1u);
}

TEST_F(PledgeCheckout, TheSameKeyWithAnotherRequestConflicts) {
  ASSERT_EQ(start(pledge(), idempotency_key("order-1"), "hash-a").what, kind::created);
  EXPECT_EQ(start(pledge(700), idempotency_key("order-1"), "hash-b").what, kind::conflict);
  EXPECT_EQ(provider.checkouts.size(), 1u);
  EXPECT_EQ(pledge_keys().size(), 1u);
}

TEST_F(PledgeCheckout, ADoubleClickWaitsForTheFirstAndGetsItsAnswer) {
  provider.delay = 300ms;
  std::vector<checkout_outcome> outcomes;
  const auto p = pledge();
  const idempotency_key key("order-1");
  for (int i = 0; i < 2; ++i) {
    net::co_spawn(
        io,
        [&]() -> awaitable<void> {
          outcomes.push_back(co_await checkout->start(p, key, "hash-a", trace));
        },
        net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return outcomes.size() == 2; }, 10s));
  EXPECT_EQ(outcomes[0].what, kind::created);
  EXPECT_EQ(outcomes[1].what, kind::replayed);
  EXPECT_EQ(outcomes[1].body, outcomes[0].body);
  EXPECT_EQ(provider.checkouts.size(), 1u);
  EXPECT_EQ(pledge_keys().size(), 1u);
}

TEST_F(PledgeCheckout, AProviderThatFailsLeavesNothingBehindAndTheKeyFree) {
  provider.failing = test::fake_checkout_provider::error_kind::unavailable;
  EXPECT_EQ(start(pledge(), idempotency_key("order-1")).what, kind::provider_unavailable);
  EXPECT_TRUE(keys().empty());
  provider.failing = test::fake_checkout_provider::error_kind::rejected;
  EXPECT_EQ(start(pledge(), idempotency_key("order-1")).what, kind::provider_rejected);
  EXPECT_TRUE(keys().empty());
  EXPECT_EQ(created_count(), 0u);

  // The claims were given back: the same request goes through once the provider does.
  provider.failing.reset();
  EXPECT_EQ(start(pledge(), idempotency_key("order-1")).what, kind::created);
  EXPECT_EQ(provider.checkouts.size(), 3u);
}

TEST_F(PledgeCheckout, ARequestThatOutlivesItsClaimStoresNothingAndClosesItsCheckout) {
  use(answer_options{.claim_for = 100ms});
  provider.delay = 400ms;
  auto lost = start(pledge(), idempotency_key("order-1"));
  EXPECT_EQ(lost.what, kind::claim_lost);
  ASSERT_EQ(provider.checkouts.size(), 1u);
  EXPECT_EQ(provider.abandoned, std::vector<std::string>{"cs_" + provider.checkouts[0].pledge_id});
  EXPECT_TRUE(keys().empty());
  EXPECT_EQ(created_count(), 0u);
}

TEST_F(PledgeCheckout, WithoutAKeyEachRequestIsANewPledge) {
  auto one = start(pledge(), std::nullopt);
  auto two = start(pledge(), std::nullopt);
  ASSERT_EQ(one.what, kind::created);
  ASSERT_EQ(two.what, kind::created);
  EXPECT_NE(one.pledge_id, two.pledge_id);
  EXPECT_EQ(pledge_keys().size(), 2u);
  for (const auto& k : keys()) {
    EXPECT_FALSE(k.starts_with("t:idem:")) << k;
  }
}

TEST_F(PledgeCheckout, AStoredPledgeIsNotCreatedUntilTheReplicasHaveIt) {
  // One replica asked for, none there: stored, but not acknowledged; the same request again
  // is not replayed either.
  replication = std::make_unique<redis::replica_wait>(
      *conn, redis::replica_wait::options{.replicas = 1, .timeout = 100ms, .fence_key = "t:fence"},
      nullptr);
  use(answer_options{});
  EXPECT_EQ(start(pledge(), idempotency_key("order-1")).what, kind::not_replicated);
  EXPECT_EQ(pledge_keys().size(), 1u);
  EXPECT_EQ(start(pledge(), idempotency_key("order-1")).what, kind::not_replicated);
  EXPECT_EQ(provider.checkouts.size(), 1u);
}

TEST_F(PledgeCheckout, WithRedisGoneTheProviderIsNotAsked) {
  server.kill();
  EXPECT_EQ(start(pledge(), idempotency_key("order-1")).what, kind::store_unavailable);
  EXPECT_TRUE(provider.checkouts.empty());
}

}  // namespace
}  // namespace supportd::pledges

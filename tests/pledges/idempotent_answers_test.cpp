// Answers kept under an Idempotency-Key, against a real redis-server: claimed, waited for,
// replayed, refused for another request, given back.
#include "pledges/idempotent_answers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "core/pause.hpp"
#include "pledges/pledge_store.hpp"
#include "pledges/sealed_answer.hpp"
#include "redis/replica_wait.hpp"
#include "security/secrets.hpp"
#include "support/redis_fixture.hpp"

namespace supportd::pledges {
namespace {

using namespace std::chrono_literals;
using outcome = answer_claim::outcome;

class IdempotentAnswers : public test::redis_fixture {
 public:
  void SetUp() override {
    redis_fixture::SetUp();
    store = std::make_unique<pledge_store>(*conn, prefix);
    replication = std::make_unique<redis::replica_wait>(
        *conn, redis::replica_wait::options{.replicas = 0}, nullptr);
    answers = std::make_unique<idempotent_answers>(*store, *replication,
                                                   answer_options{.poll_every = 20ms, .polls = 5});
  }
  answer_claim claim(const idempotency_key& key, std::string_view hash, std::string_view id) {
    return test::run(io, answers->claim(key, hash, id));
  }

  // What the request holding a claim does once it has its checkout: the pledge and its sealed
  // answer, in one script.
  std::string create(const idempotency_key& key, const std::string& id) {
    pledge_record p;
    p.id = id;
    p.amount_minor = 500;
    p.currency = "USD";
    p.every = interval::month;
    p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
    p.checkout_session_id = "cs_" + id;
    p.checkout_url = "https://checkout.test/pay/cs_" + id;
    boost::json::object answer{{"id", id},
                               {"checkout_url", p.checkout_url},
                               {"manage_token", "mt_secret-manage-token"},
                               {"cancel_link", "https://support.test/v1/pledges/" + id +
                                                   "/cancel?token=1900000000.signature"}};
    auto sent = boost::json::serialize(answer);
    auto stored = test::run(io, store->create(p, key.id(), 201, seal_answer(answer, key.text())));
    EXPECT_TRUE(stored && *stored);
    return sent;
  }

  std::unique_ptr<pledge_store> store;
  std::unique_ptr<redis::replica_wait> replication;
  std::unique_ptr<idempotent_answers> answers;
};

TEST_F(IdempotentAnswers, TheSameRequestAgainGetsTheFirstAnswerAsItWasSent) {
  const idempotency_key key("order-77");
  EXPECT_EQ(claim(key, "hash-a", "pl_first").what, outcome::claimed);
  auto sent = create(key, "pl_first");

  auto again = claim(key, "hash-a", "pl_second");
  ASSERT_EQ(again.what, outcome::replay);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.checkout_url, "https://checkout.test/pay/cs_pl_first");
  EXPECT_EQ(again.body, sent);
}

TEST_F(IdempotentAnswers, RedisHoldsNeitherTheKeyNorTheCapabilitiesItUnseals) {
  const idempotency_key key("order-77");
  claim(key, "hash-a", "pl_first");
  create(key, "pl_first");
  auto all = keys();
  EXPECT_NE(std::find(all.begin(), all.end(), "t:idem:pledge:" + security::sha256_hex("order-77")),
            all.end());
  for (const auto& k : all) {
    EXPECT_EQ(k.find("order-77"), std::string::npos) << k;
    for (const auto& value : server.cli({"HGETALL", k})) {
      EXPECT_EQ(value.find("secret-manage-token"), std::string::npos) << value;
      EXPECT_EQ(value.find("1900000000.signature"), std::string::npos) << value;
    }
  }
}

TEST_F(IdempotentAnswers, TheKeyWithAnotherRequestIsRefused) {
  const idempotency_key key("order-77");
  claim(key, "hash-a", "pl_first");
  // While the first is being handled, and after it was answered.
  EXPECT_EQ(claim(key, "hash-b", "pl_second").what, outcome::conflict);
  create(key, "pl_first");
  EXPECT_EQ(claim(key, "hash-b", "pl_second").what, outcome::conflict);
  // Another key is another matter.
  EXPECT_EQ(claim(idempotency_key("order-78"), "hash-b", "pl_third").what, outcome::claimed);
}

TEST_F(IdempotentAnswers, ADoubleClickWaitsForTheFirstRequestsAnswer) {
  const idempotency_key key("order-77");
  claim(key, "hash-a", "pl_first");
  std::optional<answer_claim> second;
  net::co_spawn(
      io,
      [&]() -> awaitable<void> { second = co_await answers->claim(key, "hash-a", "pl_second"); },
      net::detached);
  test::run_for(io, 30ms);
  EXPECT_FALSE(second);  // still waiting
  auto sent = create(key, "pl_first");
  ASSERT_TRUE(test::run_until(
      io, [&] { return second.has_value(); }, 5s));
  EXPECT_EQ(second->what, outcome::replay);
  EXPECT_EQ(second->body, sent);
}

TEST_F(IdempotentAnswers, AClaimHeldTooLongIsAnsweredInProgressAfterTheWaits) {
  const idempotency_key key("order-77");
  claim(key, "hash-a", "pl_first");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(claim(key, "hash-a", "pl_second").what, outcome::in_progress);
  // Five pauses of 20 ms between six looks.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
}

TEST_F(IdempotentAnswers, AReleasedClaimFreesTheKeyButASavedAnswerStays) {
  const idempotency_key key("order-77");
  claim(key, "hash-a", "pl_first");
  test::run(io, answers->release(key));
  EXPECT_TRUE(keys().empty());
  EXPECT_EQ(claim(key, "hash-b", "pl_second").what, outcome::claimed);

  create(key, "pl_second");
  test::run(io, answers->release(key));
  EXPECT_EQ(claim(key, "hash-b", "pl_third").what, outcome::replay);
}

TEST_F(IdempotentAnswers, ASavedAnswerThatDoesNotUnsealIsReplayedWithoutABody) {
  const idempotency_key key("order-77");
  claim(key, "hash-a", "pl_first");
  create(key, "pl_first");
  server.cli({"HSET", "t:idem:pledge:" + key.id(), "body", R"({"id":"pl_first"})"});
  auto again = claim(key, "hash-a", "pl_second");
  ASSERT_EQ(again.what, outcome::replay);
  EXPECT_EQ(again.checkout_url, "https://checkout.test/pay/cs_pl_first");  // a form can go on
  EXPECT_FALSE(again.body);
}

TEST_F(IdempotentAnswers, AnAnswerIsNotReplayedBeforeTheReplicasHaveIt) {
  // One replica asked for, none there.
  redis::replica_wait lonely(*conn, {.replicas = 1, .timeout = 100ms, .fence_key = "t:fence"},
                             nullptr);
  idempotent_answers waiting(*store, lonely);
  const idempotency_key key("order-77");
  EXPECT_EQ(test::run(io, waiting.claim(key, "hash-a", "pl_first")).what, outcome::claimed);
  create(key, "pl_first");
  EXPECT_EQ(test::run(io, waiting.claim(key, "hash-a", "pl_second")).what, outcome::not_replicated);
}

TEST_F(IdempotentAnswers, WithRedisGoneTheClaimIsUnavailable) {
  server.kill();
  EXPECT_EQ(claim(idempotency_key("order-77"), "hash-a", "pl_first").what, outcome::unavailable);
}

TEST(IdempotencyKey, OneTo255VisibleAsciiCharacters) {
  EXPECT_TRUE(idempotency_key::well_formed("order-77"));
  EXPECT_TRUE(idempotency_key::well_formed(std::string(255, 'k')));
  EXPECT_TRUE(idempotency_key::well_formed("!~"));
  EXPECT_FALSE(idempotency_key::well_formed(""));
  EXPECT_FALSE(idempotency_key::well_formed(std::string(256, 'k')));
  EXPECT_FALSE(idempotency_key::well_formed("two words"));
  EXPECT_FALSE(idempotency_key::well_formed("tab\there"));
  EXPECT_FALSE(idempotency_key::well_formed("caf\xc3\xa9"));
  EXPECT_EQ(idempotency_key("order-77").id(), security::sha256_hex("order-77"));
}

}  // namespace
}  // namespace supportd::pledges

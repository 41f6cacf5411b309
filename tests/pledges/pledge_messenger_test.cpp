// The reader's messages from a provider's event to the webhook's body, against a real
// redis-server: queued by the script that applies the event (once, however often the event
// comes), made into the body at send time, and nothing for an erased reader.
#include "pledges/pledge_messenger.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "notify/outbox_store.hpp"
#include "pledges/pledge_reader.hpp"
#include "pledges/pledge_store.hpp"
#include "redis/connection.hpp"
#include "security/data_keys.hpp"
#include "support/redis_fixture.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::pledges {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view pledge_id = "pl_Qm9kZXZhbGxleV9f";

security::data_keys keys_of(std::string_view text) {
  return std::get<security::data_keys>(security::data_keys::parse(text));
}

class PledgeMessenger : public test::redis_fixture {
 public:
  void SetUp() override {
    test::redis_fixture::SetUp();
    store = std::make_unique<pledge_store>(*conn, prefix);
    outbox = std::make_unique<notify::outbox_store>(*conn, prefix);
    messenger = std::make_unique<pledge_messenger>(*store, keys, links);
    pledge_record p;
    p.id = pledge_id;
    p.status = pledge_state::active;
    p.amount_minor = 1500;
    p.currency = "EUR";
    p.every = interval::month;
    p.payment_method = "card";
    p.source.campaign = "spring";
    p.locale = "fr-FR";
    p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
    p.checkout_session_id = "cs_1";
    p.manage_token_sha256 = "ab";
    auto sealed = seal_reader(keys, pledge_id, "reader@example.org", "Ada Reader");
    p.sealed_email = sealed.email;
    p.sealed_name = sealed.name;
    ASSERT_TRUE(*test::run(io, store->create(p, "", 201, "{}")));
  }

  provider_update failed_attempt(std::string event_id, int attempt) {
    provider_update u;
    u.event_id = std::move(event_id);
    u.reference = u.event_id;
    u.pledge_id = pledge_id;
    u.input = pledge_event::renewal_failed;
    u.count_once_as = "in_2#" + std::to_string(attempt);
    u.increments = {{"consecutive_failures", 1}};
    u.payment.invoice = "in_2";
    u.payment.attempt_count = attempt;
    u.payment.next_retry_ms = 1'900'000'000'000;
    return u;
  }

  void apply(const provider_update& u) {
    ASSERT_TRUE(test::run(io, store->apply_provider_update(u, "test", 1h)));
  }

  std::vector<notify::claimed_message> claim() {
    const auto now = core::now_unix_ms();
    return *test::run(io, outbox->claim(now + 1000, now + 60'000, 10));
  }

  const security::data_keys keys = keys_of("k1:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n");
  const pledge_links links{"a-link-secret-of-at-least-32-characters", "https://support.test",
                           "https://news.test/give"};
  std::unique_ptr<pledge_store> store;
  std::unique_ptr<notify::outbox_store> outbox;
  std::unique_ptr<pledge_messenger> messenger;
};

TEST(PledgeOf, AMessagesWebhookIdNamesItsPledge) {
  EXPECT_EQ(pledge_of("pm_pl_Qm9kZXZh_GxleV9f_payment_failed_in_2_1"), "pl_Qm9kZXZh_GxleV9f");
  EXPECT_EQ(pledge_of("rem_abc_1"), "");
  EXPECT_EQ(pledge_of("pm_pl_short_thank_you_1"), "");
}

TEST_F(PledgeMessenger, AFailedRenewalBecomesOneMessageWithTheCardUpdateLink) {
  apply(failed_attempt("evt_1", 1));
  apply(failed_attempt("evt_1", 1));   // Stripe sends it again: a duplicate
  apply(failed_attempt("evt_1b", 1));  // the same attempt under another event: counted once
  auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, std::string("pm_") + std::string(pledge_id) + "_payment_failed_in_2_1");
  auto rendered = *test::run(io, messenger->render(claimed[0], core::now_unix_ms()));
  ASSERT_TRUE(rendered);
  EXPECT_EQ(rendered->webhook_id, claimed[0].id);
  auto body = boost::json::parse(rendered->body).as_object();
  EXPECT_EQ(body.at("type"), "pledge.payment_failed");
  const auto& data = body.at("data").as_object();
  EXPECT_EQ(data.at("email"), "reader@example.org");
  EXPECT_EQ(data.at("name"), "Ada Reader");
  EXPECT_EQ(data.at("amount_minor"), 1500);
  EXPECT_EQ(data.at("currency"), "EUR");
  EXPECT_EQ(data.at("locale"), "fr-FR");
  EXPECT_EQ(data.at("attempt_count"), 1);
  EXPECT_EQ(data.at("next_retry_at"), "2030-03-17T17:46:40Z");
  const std::string update(data.at("update_payment_url").as_string());
  EXPECT_TRUE(update.starts_with("https://support.test/v1/pledges/" + std::string(pledge_id) +
                                 "/payment-method?token="))
      << update;
  const std::string manage(data.at("manage_url").as_string());
  EXPECT_TRUE(manage.starts_with("https://support.test/v1/pledges/" + std::string(pledge_id) +
                                 "/manage?token="))
      << manage;
  // The next attempt is a message of its own.
  apply(failed_attempt("evt_2", 2));
  EXPECT_EQ(claim().size(), 1u);
}

TEST_F(PledgeMessenger, AnErasedReaderGetsNothing) {
  apply(failed_attempt("evt_1", 1));
  auto claimed = claim();
  ASSERT_EQ(claimed.size(), 1u);
  // Erased after the message was queued: nothing to send.
  server.cli({"HDEL", prefix + "pledge:" + std::string(pledge_id), "sealed_email", "sealed_name"});
  auto rendered = *test::run(io, messenger->render(claimed[0], core::now_unix_ms()));
  EXPECT_FALSE(rendered);
  // And once erased, nothing is queued at all.
  apply(failed_attempt("evt_2", 2));
  EXPECT_TRUE(claim().empty());
}

}  // namespace
}  // namespace supportd::pledges

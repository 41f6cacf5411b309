// The webhooks a pledge's events become for the reader.
#include "pledges/pledge_message.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace supportd::pledges {
namespace {

// 2027-01-15T08:00:00Z and a day later (`date -u -d @1800000000`).
constexpr std::int64_t jan_15_2027_08_utc = 1'800'000'000;
constexpr std::int64_t jan_16_2027_08_utc = 1'800'086'400;

message_facts facts(message_type type) {
  message_facts m;
  m.type = type;
  m.pledge_id = "pl_abcdefghijklmnop";
  m.occurrence = "in_1";
  m.amount_minor = 1500;
  m.currency = "EUR";
  m.every = interval::month;
  m.campaign = "spring";
  m.locale = "fr-FR";
  return m;
}

const message_reader reader{"reader@example.org", "Zoë \"Z\" Reader"};
const message_links links{"https://s.test/v1/pledges/pl_abcdefghijklmnop/manage?token=1.a",
                          "https://s.test/v1/pledges/pl_abcdefghijklmnop/payment-method?token=1.b",
                          "https://news.test/give?source=pledge_restart"};

boost::json::object body_of(const message_facts& m) {
  return boost::json::parse(message_body(m, reader, links, jan_15_2027_08_utc)).as_object();
}

std::vector<std::string> keys_of(const boost::json::object& o) {
  std::vector<std::string> keys;
  for (const auto& member : o) {
    keys.emplace_back(member.key());
  }
  return keys;
}

TEST(PledgeMessage, EveryTypeHasItsNameAndBackAgain) {
  for (auto t :
       {message_type::thank_you, message_type::payment_succeeded, message_type::payment_failed,
        message_type::renewal_upcoming, message_type::canceled}) {
    EXPECT_TRUE(type_name(t).starts_with("pledge.")) << type_name(t);
    EXPECT_EQ(parse_message_type(type_name(t)), t);
  }
  EXPECT_EQ(parse_message_type("pledge.thankyou"), std::nullopt);
  EXPECT_EQ(parse_message_type("reminder.due"), std::nullopt);
}

TEST(PledgeMessage, TheWebhookIdNamesThePledgeTypeAndOccurrence) {
  auto m = facts(message_type::payment_failed);
  m.occurrence = "in_1_2";
  EXPECT_EQ(webhook_id(m), "pm_pl_abcdefghijklmnop_payment_failed_in_1_2");
  auto next = m;
  next.occurrence = "in_1_3";
  EXPECT_NE(webhook_id(next), webhook_id(m));
  auto receipt = m;
  receipt.type = message_type::payment_succeeded;
  EXPECT_NE(webhook_id(receipt), webhook_id(m));
}

TEST(PledgeMessage, AThankYouCarriesThePledgeTheReaderAndTheCharge) {
  auto m = facts(message_type::thank_you);
  m.charged_minor = 1500;
  m.charged_at_unix = jan_15_2027_08_utc;
  auto body = body_of(m);
  EXPECT_EQ(body.at("type"), "pledge.thank_you");
  EXPECT_EQ(body.at("timestamp"), "2027-01-15T08:00:00Z");
  const auto& data = body.at("data").as_object();
  EXPECT_EQ(keys_of(data),
            (std::vector<std::string>{"pledge_id", "email", "name", "locale", "amount_minor",
                                      "currency", "interval", "campaign", "charged_minor",
                                      "charged_at", "manage_url"}));
  EXPECT_EQ(data.at("email"), "reader@example.org");
  EXPECT_EQ(data.at("name"), "Zoë \"Z\" Reader");
  EXPECT_EQ(data.at("amount_minor"), 1500);
  EXPECT_EQ(data.at("currency"), "EUR");
  EXPECT_EQ(data.at("interval"), "month");
  EXPECT_EQ(data.at("charged_at"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(data.at("manage_url").as_string(), links.manage_url.c_str());
}

TEST(PledgeMessage, AFailedPaymentSaysWhenStripeTriesAgainAndHowToFixTheCard) {
  auto m = facts(message_type::payment_failed);
  m.attempt_count = 2;
  m.next_retry_unix = jan_16_2027_08_utc;
  auto data = body_of(m).at("data").as_object();
  EXPECT_EQ(data.at("attempt_count"), 2);
  EXPECT_EQ(data.at("next_retry_at"), "2027-01-16T08:00:00Z");
  EXPECT_EQ(data.at("update_payment_url").as_string(), links.update_payment_url.c_str());
  // After the last retry there is no next one: the member is left out, not made up.
  m.next_retry_unix.reset();
  data = body_of(m).at("data").as_object();
  EXPECT_FALSE(data.contains("next_retry_at"));
  EXPECT_TRUE(data.contains("update_payment_url"));
}

TEST(PledgeMessage, ARenewalNoticeSaysWhenAndHowMuch) {
  auto m = facts(message_type::renewal_upcoming);
  m.every = interval::year;
  m.charged_minor = 6000;
  m.charged_at_unix = jan_16_2027_08_utc;
  auto data = body_of(m).at("data").as_object();
  EXPECT_EQ(data.at("interval"), "year");
  EXPECT_EQ(data.at("charged_minor"), 6000);
  EXPECT_EQ(data.at("renews_at"), "2027-01-16T08:00:00Z");
  EXPECT_FALSE(data.contains("update_payment_url"));
}

TEST(PledgeMessage, ACancellationSaysWhoEndedItAndHowToStartAgain) {
  auto m = facts(message_type::canceled);
  m.ended_by = canceled_by::failed_payments;
  auto data = body_of(m).at("data").as_object();
  EXPECT_EQ(data.at("canceled_by"), "failed_payments");
  EXPECT_EQ(data.at("restart_url").as_string(), links.restart_url.c_str());
  EXPECT_EQ(data.at("manage_url").as_string(), links.manage_url.c_str());
  EXPECT_FALSE(data.contains("charged_at"));
}

}  // namespace
}  // namespace supportd::pledges

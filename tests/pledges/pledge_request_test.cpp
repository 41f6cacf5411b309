#include "pledges/pledge_request.hpp"

#include <gtest/gtest.h>

namespace supportd::pledges {
namespace {

pledge_rules rules() {
  pledge_rules r;
  r.allowed_origins = {"https://news.example"};
  return r;
}

pledge_fields good() {
  pledge_fields f;
  f.amount = "5";
  f.currency = "USD";
  f.interval = "month";
  f.email = "  Reader@Example.ORG ";
  f.success_url = "https://news.example/thanks";
  f.cancel_url = "https://news.example/support";
  f.campaign = "winter-2026";
  f.component = "banner";
  return f;
}

std::vector<std::string> bad_fields(const pledge_fields& f, const pledge_rules& r = rules()) {
  auto result = validate(f, r, "");
  std::vector<std::string> names;
  if (auto* errors = std::get_if<std::vector<field_error>>(&result)) {
    for (const auto& e : *errors) {
      names.push_back(e.field + ":" + e.code);
    }
  }
  return names;
}

TEST(PledgeRequest, AGoodPledgeIsNormalized) {
  auto result = validate(good(), rules(), "GB");
  ASSERT_TRUE(std::holds_alternative<valid_pledge>(result));
  auto p = std::get<valid_pledge>(result);
  EXPECT_EQ(p.amount_minor, 500);
  EXPECT_EQ(p.money.code, "USD");
  EXPECT_EQ(p.every, interval::month);
  EXPECT_EQ(p.email, "reader@example.org");
  EXPECT_EQ(p.payment_method, "");  // none picked: Checkout offers what the account has
  EXPECT_EQ(p.source.country, "GB");
}

TEST(PledgeRequest, EveryBadFieldIsNamed) {
  pledge_fields f;
  f.amount = "five";
  f.currency = "XXX";
  f.interval = "weekly";
  f.email = "not-an-email";
  f.success_url = "https://evil.example/";
  f.cancel_url = "javascript:alert(1)";
  f.locale = "en GB";
  EXPECT_EQ(bad_fields(f),
            (std::vector<std::string>{"currency:unsupported", "interval:invalid", "email:invalid",
                                      "locale:invalid", "success_url:origin_not_allowed",
                                      "cancel_url:origin_not_allowed"}));
}

TEST(PledgeRequest, MinimumsFollowTheIntervalAndTheProvider) {
  auto f = good();
  f.amount = "1.99";
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"amount:too_small"}));  // monthly from $2
  f.amount = "2";
  EXPECT_TRUE(bad_fields(f).empty());
  f.interval = "once";
  f.amount = "1";
  EXPECT_TRUE(bad_fields(f).empty());
  f.amount = "0.99";
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"amount:too_small"}));
  f.amount = "10000.01";
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"amount:too_large"}));

  // Configured below the provider's minimum charge, the provider's minimum wins.
  std::string why;
  auto r = rules();
  r.limits = *pledge_limits::parse("*:once:0.01:100", why);
  f.amount = "0.49";
  EXPECT_EQ(bad_fields(f, r), (std::vector<std::string>{"amount:too_small"}));
  f.amount = "0.50";
  EXPECT_TRUE(bad_fields(f, r).empty());
}

TEST(PledgeRequest, ZeroAndThreeDecimalCurrencies) {
  auto f = good();
  f.currency = "JPY";
  f.amount = "500";
  auto p = std::get<valid_pledge>(validate(f, rules(), ""));
  EXPECT_EQ(p.amount_minor, 500);
  f.amount = "1";
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"amount:too_small"}));  // Stripe: 50 JPY
  f.currency = "KWD";
  f.amount = "2.500";
  EXPECT_EQ(std::get<valid_pledge>(validate(f, rules(), "")).amount_minor, 2500);
}

TEST(PledgeRequest, AmountMinorFromJson) {
  auto f = good();
  f.amount.clear();
  f.amount_minor = 700;
  EXPECT_EQ(std::get<valid_pledge>(validate(f, rules(), "")).amount_minor, 700);
  f.amount = "7";
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"amount:invalid"}));
  f.amount.clear();
  f.amount_minor = 0;
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"amount_minor:too_small"}));
}

TEST(PledgeRequest, CardNumbersAnywhereAreRefusedAndDropped) {
  auto parsed =
      parse_json_fields(R"({"amount":"5","currency":"USD","interval":"month","email":"a@b.org",)"
                        R"("name":"4242 4242 4242 4242","success_url":"https://news.example/",)"
                        R"("cancel_url":"https://news.example/","note":"4111111111111111"})");
  auto& f = std::get<pledge_fields>(parsed);
  EXPECT_TRUE(f.card_number_seen);
  EXPECT_EQ(f.name, "");  // the value is never kept
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"body:card_number"}));

  auto number = std::get<pledge_fields>(parse_json_fields(R"({"cc":4242424242424242})"));
  EXPECT_TRUE(number.card_number_seen);
}

TEST(PledgeRequest, FormAndJsonUseTheSameNames) {
  auto form = std::get<pledge_fields>(parse_form_fields(
      "amount=5.00&currency=EUR&interval=year&email=a%40b.org&success_url=https%3A%2F%2Fnews."
      "example%2Fok&cancel_url=https%3A%2F%2Fnews.example%2Fno&payment_method=paypal"));
  EXPECT_EQ(form.email, "a@b.org");
  EXPECT_EQ(form.success_url, "https://news.example/ok");
  auto p = std::get<valid_pledge>(validate(form, rules(), ""));
  EXPECT_EQ(p.amount_minor, 500);
  EXPECT_EQ(p.payment_method, "paypal");
  EXPECT_EQ(std::get<field_error>(parse_json_fields("[1,2]")).field, "body");
  EXPECT_EQ(std::get<field_error>(parse_json_fields(R"({"amount":5})")).field, "amount");
}

TEST(PledgeRequest, TheVariantIsAttributionWithTheCampaignsRules) {
  auto f = std::get<pledge_fields>(parse_json_fields(
      R"({"amount":"5","currency":"USD","interval":"month","email":"a@b.org","variant":"from-2",)"
      R"("success_url":"https://news.example/ok","cancel_url":"https://news.example/no"})"));
  EXPECT_EQ(std::get<valid_pledge>(validate(f, rules(), "")).source.variant, "from-2");
  auto form = std::get<pledge_fields>(parse_form_fields("variant=b%2F2"));
  EXPECT_EQ(form.variant, "b/2");
  auto bad = good();
  bad.variant = "two words";
  EXPECT_EQ(bad_fields(bad), std::vector<std::string>{"variant:invalid"});
  bad.variant = std::string(65, 'v');
  EXPECT_EQ(bad_fields(bad), std::vector<std::string>{"variant:invalid"});
}

// --- what a stranger sends never reaches a reader as ours -----------------------

TEST(PledgeRequest, PageUrlIsAnHttpPageOnAnAllowedOrigin) {
  auto f = good();
  f.page_url = "javascript:alert(1)";
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"page_url:invalid_url"}));
  f.page_url = "https://phish.example/";
  EXPECT_EQ(bad_fields(f), (std::vector<std::string>{"page_url:origin_not_allowed"}));
  f.page_url = "https://news.example/story?x=1";
  EXPECT_TRUE(bad_fields(f).empty());
}

TEST(PledgeRequest, EveryTextFieldIsUtf8WithoutControlsFromFormsAndJson) {
  auto form = parse_form_fields("amount=5&currency=USD&email=r%FF%FE%40example.org");
  ASSERT_TRUE(std::holds_alternative<field_error>(form));
  EXPECT_EQ(std::get<field_error>(form).field, "email");
  EXPECT_EQ(std::get<field_error>(form).code, "invalid_text");
  auto name = parse_form_fields("name=Jo%E9");  // Latin-1, not UTF-8
  ASSERT_TRUE(std::holds_alternative<field_error>(name));
  EXPECT_EQ(std::get<field_error>(name).field, "name");
  auto json = parse_json_fields(R"({"referrer":"https://a.example/\u0007"})");
  ASSERT_TRUE(std::holds_alternative<field_error>(json));
  EXPECT_EQ(std::get<field_error>(json).field, "referrer");
  EXPECT_EQ(std::get<field_error>(json).code, "invalid_text");
  auto ok = parse_form_fields("name=Zo%C3%AB+%E6%9D%8E");
  ASSERT_TRUE(std::holds_alternative<pledge_fields>(ok));
  EXPECT_EQ(std::get<pledge_fields>(ok).name, "Zo\xc3\xab \xe6\x9d\x8e");
}

TEST(PledgeRequest, CardNumbersAsAmountMinorOrNestedOrSplitAreCaught) {
  for (auto body :
       {R"({"amount_minor":4111111111111111})", R"({"amount_minor":4111111111111111.0})",
        R"({"meta":{"n":[4111111111111111]}})", R"({"meta":{"n":"4111 1111 1111 1111"}})",
        R"({"name":"4111.1111.1111.1111"})", R"({"name":"4111   1111   1111   1111"})",
        R"({"name":"4111-1111--1111-1111"})"}) {
    auto parsed = parse_json_fields(body);
    ASSERT_TRUE(std::holds_alternative<pledge_fields>(parsed)) << body;
    EXPECT_TRUE(std::get<pledge_fields>(parsed).card_number_seen) << body;
  }
  auto form = parse_form_fields("name=4111.1111.1111.1111");
  EXPECT_TRUE(std::get<pledge_fields>(form).card_number_seen);
  EXPECT_EQ(std::get<pledge_fields>(form).name, "");
  // Ordinary amounts, dates and versions are not card numbers.
  for (auto body : {R"({"amount_minor":500})", R"({"name":"2026-01-05 10.30"})",
                    R"({"name":"4111.1111.1111.1112"})"}) {
    EXPECT_FALSE(std::get<pledge_fields>(parse_json_fields(body)).card_number_seen) << body;
  }
}

}  // namespace
}  // namespace supportd::pledges

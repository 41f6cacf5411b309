#include "portal_session_request.hpp"

#include <gtest/gtest.h>

namespace fake_stripe {
namespace {

portal_session_result parse(std::string_view body) {
  return parse_portal_session_request(*form_params::parse(body));
}

stripe_error refusal(std::string_view body) {
  auto r = parse(body);
  EXPECT_TRUE(std::holds_alternative<stripe_error>(r)) << body;
  return std::holds_alternative<stripe_error>(r) ? std::get<stripe_error>(r) : stripe_error{};
}

TEST(FakeStripePortalSessionRequest, TakesACustomerAndWhereToReturn) {
  auto r = parse("customer=cus_1&return_url=https%3A%2F%2Fnews.example%2Fmanage%3Ft%3D1");
  ASSERT_TRUE(std::holds_alternative<portal_session_request>(r));
  const auto& s = std::get<portal_session_request>(r);
  EXPECT_EQ(s.customer, "cus_1");
  EXPECT_EQ(s.return_url, "https://news.example/manage?t=1");
  EXPECT_FALSE(s.flow);
  EXPECT_FALSE(s.locale);
}

TEST(FakeStripePortalSessionRequest, OpensStraightOnTheCardUpdateWithARedirectAfterIt) {
  auto r = parse(
      "customer=cus_1&flow_data[type]=payment_method_update"
      "&flow_data[after_completion][type]=redirect"
      "&flow_data[after_completion][redirect][return_url]=https://news.example/done&locale=de");
  ASSERT_TRUE(std::holds_alternative<portal_session_request>(r));
  const auto& s = std::get<portal_session_request>(r);
  ASSERT_TRUE(s.flow);
  EXPECT_EQ(s.flow->type, "payment_method_update");
  EXPECT_EQ(s.flow->after_completion, "redirect");
  EXPECT_EQ(s.flow->redirect_url, "https://news.example/done");
  EXPECT_EQ(s.locale, "de");
}

TEST(FakeStripePortalSessionRequest, RefusesWhatStripeRefuses) {
  auto e = refusal("return_url=https://news.example/");
  EXPECT_EQ(e.code, "parameter_missing");
  EXPECT_EQ(e.param, "customer");
  e = refusal("customer=cus_1&return_url=news.example/manage");
  EXPECT_EQ(e.code, "url_invalid");
  EXPECT_EQ(e.param, "return_url");
  e = refusal("customer=cus_1&theme=dark");
  EXPECT_EQ(e.code, "parameter_unknown");
  e = refusal("customer=");
  EXPECT_EQ(e.code, "parameter_invalid_empty");
  e = refusal("customer=cus_1&locale=xx");
  EXPECT_EQ(e.param, "locale");
  EXPECT_FALSE(e.code);
  e = refusal("customer=cus_1&flow_data[after_completion][type]=redirect");
  EXPECT_EQ(e.param, "flow_data[type]");
  e = refusal(
      "customer=cus_1&flow_data[type]=payment_method_update"
      "&flow_data[after_completion][type]=redirect");
  EXPECT_EQ(e.param, "flow_data[after_completion][redirect][return_url]");
  e = refusal("customer=cus_1&flow_data[type]=subscription_cancel");
  EXPECT_EQ(e.param, "flow_data[type]");
  e = refusal("customer=cus_1&flow_data[type]=renew");
  EXPECT_EQ(e.message,
            "Invalid flow_data[type]: must be one of payment_method_update, subscription_cancel, "
            "subscription_update, or subscription_update_confirm");
}

}  // namespace
}  // namespace fake_stripe

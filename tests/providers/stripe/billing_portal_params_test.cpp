// The Billing Portal session supportd asks Stripe for, and the reading of its answer.
#include "providers/stripe/billing_portal_params.hpp"

#include <gtest/gtest.h>

#include <map>

namespace supportd::providers::stripe {
namespace {

TEST(StripeBillingPortalParams, OpensOnTheCardUpdateAndComesBackToTheReturnUrl) {
  auto params = billing_portal_session_params("cus_Nci", "https://news.example/manage?token=t");
  std::map<std::string, std::string> p(params.begin(), params.end());
  EXPECT_EQ(p.size(), 5u);
  EXPECT_EQ(p["customer"], "cus_Nci");
  EXPECT_EQ(p["return_url"], "https://news.example/manage?token=t");
  EXPECT_EQ(p["flow_data[type]"], "payment_method_update");
  EXPECT_EQ(p["flow_data[after_completion][type]"], "redirect");
  EXPECT_EQ(p["flow_data[after_completion][redirect][return_url]"],
            "https://news.example/manage?token=t");
  // Form-encoded as Stripe takes it: the URL's own ? = & escaped, brackets too.
  const auto body = encode(params);
  EXPECT_TRUE(body.starts_with("customer=cus_Nci&flow_data%5Btype%5D=payment_method_update&"));
  EXPECT_NE(body.find("&return_url=https%3A%2F%2Fnews.example%2Fmanage%3Ftoken%3Dt&"),
            std::string::npos)
      << body;
}

TEST(StripeBillingPortalParams, WithoutAReturnUrlThePortalKeepsTheReader) {
  auto params = billing_portal_session_params("cus_Nci", "");
  std::map<std::string, std::string> p(params.begin(), params.end());
  EXPECT_EQ(p.size(), 2u);
  EXPECT_FALSE(p.contains("return_url"));
  EXPECT_FALSE(p.contains("flow_data[after_completion][type]"));
}

TEST(StripeBillingPortalParams, ReadsTheSessionsUrl) {
  EXPECT_EQ(parse_billing_portal_url(R"({"id":"bps_1Mr","object":"billing_portal.session",
      "customer":"cus_Nci","url":"https://billing.stripe.com/p/session/test_YWNj"})"),
            "https://billing.stripe.com/p/session/test_YWNj");
  EXPECT_FALSE(parse_billing_portal_url(R"({"id":"bps_1","object":"billing_portal.session"})"));
  EXPECT_FALSE(parse_billing_portal_url(R"({"object":"checkout.session","url":"https://x"})"));
  EXPECT_FALSE(parse_billing_portal_url(R"({"object":"billing_portal.session","url":""})"));
  EXPECT_FALSE(parse_billing_portal_url("<html>"));
}

}  // namespace
}  // namespace supportd::providers::stripe

#include "providers/stripe/checkout_params.hpp"

#include <gtest/gtest.h>

#include <map>

namespace supportd::providers {
namespace {

providers::checkout_request request(common::interval every) {
  providers::checkout_request r;
  r.pledge_id = "pl_abc";
  r.amount_minor = 500;
  r.money = *common::find_currency("USD");
  r.every = every;
  r.customer_email = "reader@example.org";
  r.payment_method = "paypal";
  r.locale = "en-GB";
  r.success_url = "https://news.example/thanks";
  r.cancel_url = "https://news.example/support";
  return r;
}

stripe::checkout_options site_listing(std::vector<std::string> pickable) {
  return {.product_name = "Support",
          .payment_method_configuration = {},
          .pickable_methods = std::move(pickable)};
}

std::map<std::string, std::string> params_of(const providers::checkout_request& r,
                                             const stripe::checkout_options& o) {
  auto params = stripe::checkout_session_params(r, o);
  return {params.begin(), params.end()};
}

TEST(StripeCheckoutParams, MonthlyIsASubscriptionCarryingThePledgeId) {
  auto params = stripe::checkout_session_params(request(common::interval::month),
                                                site_listing({"card", "paypal"}));
  std::map<std::string, std::string> p(params.begin(), params.end());
  EXPECT_EQ(p["mode"], "subscription");
  EXPECT_EQ(p["line_items[0][price_data][unit_amount]"], "500");
  EXPECT_EQ(p["line_items[0][price_data][currency]"], "usd");
  EXPECT_EQ(p["line_items[0][price_data][recurring][interval]"], "month");
  EXPECT_EQ(p["subscription_data[metadata][pledge_id]"], "pl_abc");
  EXPECT_EQ(p["client_reference_id"], "pl_abc");
  EXPECT_EQ(p["metadata[pledge_id]"], "pl_abc");
  EXPECT_EQ(p["customer_email"], "reader@example.org");
  EXPECT_EQ(p["payment_method_types[0]"], "paypal");
  EXPECT_EQ(p["locale"], "en-GB");
  EXPECT_EQ(p.count("submit_type"), 0u);  // Stripe refuses submit_type for subscriptions
}

TEST(StripeCheckoutParams, OnceIsADonationPayment) {
  auto r = request(common::interval::once);
  r.payment_method = "carrier-pigeon";
  r.locale = "xx";
  auto params = stripe::checkout_session_params(r, site_listing({"card", "paypal"}));
  std::map<std::string, std::string> p(params.begin(), params.end());
  EXPECT_EQ(p["mode"], "payment");
  EXPECT_EQ(p["submit_type"], "donate");
  EXPECT_EQ(p["payment_intent_data[metadata][pledge_id]"], "pl_abc");
  EXPECT_EQ(p.count("line_items[0][price_data][recurring][interval]"), 0u);
  EXPECT_EQ(p.count("payment_method_types[0]"), 0u);  // not listed by the site: left to Stripe
  EXPECT_EQ(p["locale"], "auto");
}

TEST(StripeCheckoutParams, ByDefaultTheAccountsConfigurationDecidesTheMethods) {
  auto r = request(common::interval::month);
  r.payment_method = "";
  auto p = params_of(r, site_listing({}));
  EXPECT_EQ(p.count("payment_method_types[0]"), 0u);
  EXPECT_EQ(p.count("payment_method_configuration"), 0u);
  // A method the reader asked for but the site does not list (sofort was retired by Stripe) is
  // not passed on either: Checkout would refuse the session.
  r.payment_method = "sofort";
  p = params_of(r, site_listing({"card"}));
  EXPECT_EQ(p.count("payment_method_types[0]"), 0u);
}

TEST(StripeCheckoutParams,
     AConfiguredPaymentMethodConfigurationUnlessTheReaderPickedAListedMethod) {
  auto options = site_listing({"paypal"});
  options.payment_method_configuration = "pmc_123";
  auto r = request(common::interval::once);
  r.payment_method = "";
  auto p = params_of(r, options);
  EXPECT_EQ(p["payment_method_configuration"], "pmc_123");
  EXPECT_EQ(p.count("payment_method_types[0]"), 0u);
  // Stripe takes payment_method_types or a configuration, not both.
  r.payment_method = "paypal";
  p = params_of(r, options);
  EXPECT_EQ(p["payment_method_types[0]"], "paypal");
  EXPECT_EQ(p.count("payment_method_configuration"), 0u);
}

TEST(StripeCheckoutParams, FormEncodingAndIdempotencyKey) {
  EXPECT_EQ(
      stripe::encode({{"metadata[pledge_id]", "pl_1"}, {"success_url", "https://x/?a=1&b=2"}}),
      "metadata%5Bpledge_id%5D=pl_1&success_url=https%3A%2F%2Fx%2F%3Fa%3D1%26b%3D2");
  EXPECT_EQ(stripe::checkout_idempotency_key("pl_1"), stripe::checkout_idempotency_key("pl_1"));
  EXPECT_NE(stripe::checkout_idempotency_key("pl_1"), stripe::checkout_idempotency_key("pl_2"));
}

}  // namespace
}  // namespace supportd::providers

#include "checkout_request.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "form_params.hpp"

namespace fake_stripe {
namespace {

constexpr std::int64_t now = 1'700'000'000;

form_params params(std::string_view text) {
  auto p = form_params::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(form_params{});
}

const std::string subscription_body =
    "mode=subscription"
    "&line_items[0][price_data][currency]=usd"
    "&line_items[0][price_data][unit_amount]=500"
    "&line_items[0][price_data][product_data][name]=Monthly+support"
    "&line_items[0][price_data][recurring][interval]=month"
    "&line_items[0][quantity]=1"
    "&success_url=https%3A%2F%2Fnews.example%2Fthanks%3Fs%3D%7BCHECKOUT_SESSION_ID%7D"
    "&customer_email=reader%40example.com"
    "&client_reference_id=pl_123"
    "&metadata[pledge_id]=pl_123"
    "&subscription_data[metadata][pledge_id]=pl_123";

stripe_error error_of(const checkout_result& r) {
  EXPECT_TRUE(std::holds_alternative<stripe_error>(r));
  return std::holds_alternative<stripe_error>(r) ? std::get<stripe_error>(r) : stripe_error{};
}

TEST(FormParams, DecodesEscapesPlusAndBrackets) {
  auto p = params("a%5Bb%5D=x+y%21&c[]=1&c[]=2&empty=");
  EXPECT_EQ(*p.find("a[b]"), "x y!");
  EXPECT_EQ(*p.find("c[0]"), "1");
  EXPECT_EQ(*p.find("c[1]"), "2");
  EXPECT_EQ(*p.find("empty"), "");
  EXPECT_FALSE(form_params::parse("a=%zz").has_value());
  EXPECT_FALSE(form_params::parse("a=%4").has_value());
}

TEST(FormParams, NestsLikeStripesLogs) {
  auto p = params("line_items[0][quantity]=1&line_items[1][quantity]=2&metadata[0]=zero");
  EXPECT_EQ(boost::json::serialize(p.nested()),
            R"({"line_items":[{"quantity":"1"},{"quantity":"2"}],"metadata":{"0":"zero"}})");
}

TEST(CheckoutRequest, AcceptsAMonthlySubscription) {
  auto r = parse_checkout_request(params(subscription_body), now);
  ASSERT_TRUE(std::holds_alternative<checkout_request>(r)) << error_of(r).message;
  const auto& req = std::get<checkout_request>(r);
  EXPECT_EQ(req.mode, "subscription");
  EXPECT_EQ(req.currency, "usd");
  EXPECT_EQ(req.amount_total, 500);
  EXPECT_EQ(req.line_items.at(0).price.interval, "month");
  EXPECT_EQ(req.success_url, "https://news.example/thanks?s={CHECKOUT_SESSION_ID}");
  EXPECT_EQ(req.metadata.at("pledge_id"), "pl_123");
  EXPECT_EQ(req.subscription_metadata.at("pledge_id"), "pl_123");
}

TEST(CheckoutRequest, AcceptsADonationPayment) {
  auto r = parse_checkout_request(
      params("mode=payment&submit_type=donate&line_items[0][price_data][currency]=EUR"
             "&line_items[0][price_data][unit_amount]=1000"
             "&line_items[0][price_data][product_data][name]=One-off"
             "&line_items[0][quantity]=1&success_url=https://x.example/ok"
             "&payment_intent_data[metadata][pledge_id]=pl_9"),
      now);
  ASSERT_TRUE(std::holds_alternative<checkout_request>(r)) << error_of(r).message;
  EXPECT_EQ(std::get<checkout_request>(r).currency, "eur");
  EXPECT_EQ(std::get<checkout_request>(r).payment_intent_metadata.at("pledge_id"), "pl_9");
}

TEST(CheckoutRequest, RefusesMissingParamsLikeStripe) {
  auto e =
      error_of(parse_checkout_request(params("mode=payment&success_url=https://x.example"), now));
  EXPECT_EQ(e.code, "parameter_missing");
  EXPECT_EQ(e.param, "line_items");

  std::string body = subscription_body;
  body.replace(body.find("&line_items[0][quantity]=1"), 26, "");
  e = error_of(parse_checkout_request(params(body), now));
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "parameter_missing");
  EXPECT_EQ(e.param, "line_items[0][quantity]");
  EXPECT_EQ(e.message, "Missing required param: line_items[0][quantity].");

  e = error_of(parse_checkout_request(params("success_url=https://x.example"), now));
  EXPECT_EQ(e.param, "mode");
}

TEST(CheckoutRequest, RefusesBadValues) {
  auto with = [](std::string from, std::string to) {
    std::string body = subscription_body;
    body.replace(body.find(from), from.size(), to);
    return error_of(parse_checkout_request(params(body), now));
  };
  auto e = with("unit_amount]=500", "unit_amount]=5.00");
  EXPECT_EQ(e.code, "parameter_invalid_integer");
  EXPECT_EQ(e.param, "line_items[0][price_data][unit_amount]");
  EXPECT_EQ(e.message, "Invalid integer: 5.00");

  e = with("interval]=month", "interval]=monthly");
  EXPECT_EQ(e.param, "line_items[0][price_data][recurring][interval]");
  EXPECT_FALSE(e.code.has_value());

  e = with("mode=subscription", "mode=subscribe");
  EXPECT_EQ(e.param, "mode");

  e = with("mode=subscription", "mode=subscription&submit_type=donate");
  EXPECT_EQ(e.param, "submit_type");

  e = with("mode=subscription", "mode=payment");
  EXPECT_NE(e.message.find("recurring price"), std::string::npos);

  e = with("unit_amount]=500", "unit_amount]=20");
  EXPECT_EQ(e.code, "amount_too_small");
  EXPECT_EQ(e.message, "The Checkout Session's total amount due must add up to at least $0.50 usd");

  e = with("client_reference_id=pl_123", "client_reference_id=");
  EXPECT_EQ(e.code, "parameter_invalid_empty");
  EXPECT_EQ(e.param, "client_reference_id");

  e = with("client_reference_id=pl_123", "client_refrence_id=pl_123");
  EXPECT_EQ(e.code, "parameter_unknown");
  EXPECT_EQ(e.message, "Received unknown parameter: client_refrence_id");

  e = with("[product_data][name]", "[product_data][title]");
  EXPECT_EQ(e.param, "line_items[0][price_data][product_data][title]");

  e = with("customer_email=reader%40example.com", "customer_email=reader");
  EXPECT_EQ(e.code, "email_invalid");

  e = with("success_url=https", "success_url=ftp");
  EXPECT_EQ(e.code, "url_invalid");
}

TEST(CheckoutRequest, EmptyMetadataValuesLeaveTheKeyOut) {
  auto r = parse_checkout_request(params(subscription_body + "&metadata[note]="), now);
  ASSERT_TRUE(std::holds_alternative<checkout_request>(r)) << error_of(r).message;
  EXPECT_FALSE(std::get<checkout_request>(r).metadata.contains("note"));
}

TEST(CheckoutRequest, TakesPaymentMethodTypesOrAConfigurationNotBoth) {
  auto r = parse_checkout_request(
      params(subscription_body + "&payment_method_configuration=pmc_123"), now);
  ASSERT_TRUE(std::holds_alternative<checkout_request>(r)) << error_of(r).message;
  EXPECT_EQ(std::get<checkout_request>(r).payment_method_configuration, "pmc_123");
  auto e = error_of(parse_checkout_request(
      params(subscription_body +
             "&payment_method_types[0]=paypal&payment_method_configuration=pmc_123"),
      now));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.param, "payment_method_configuration");
}

TEST(Amounts, FormatsByTheCurrencysMinorUnits) {
  EXPECT_EQ(format_amount(500, "usd"), "5.00 USD");
  EXPECT_EQ(format_amount(5, "eur"), "0.05 EUR");
  EXPECT_EQ(format_amount(500, "jpy"), "500 JPY");
  EXPECT_EQ(format_amount(1500, "kwd"), "1.500 KWD");
}

}  // namespace
}  // namespace fake_stripe

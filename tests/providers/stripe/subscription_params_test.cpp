// A reader's changes to their Stripe subscription as supportd sends them, and the reading of
// the subscription they start from.
#include "providers/stripe/subscription_params.hpp"

#include <gtest/gtest.h>

#include <map>

namespace supportd::providers::stripe {
namespace {

// GET /v1/subscriptions/{id} as Stripe (API version 2024-06-20) answers it, cut to what matters.
constexpr std::string_view monthly_subscription = R"({
  "id": "sub_1Nv", "object": "subscription", "currency": "eur", "status": "active",
  "items": {"object": "list", "has_more": false, "url": "/v1/subscription_items?subscription=sub_1Nv",
    "data": [{"id": "si_OiE", "object": "subscription_item", "quantity": 1,
      "price": {"id": "price_1Nv", "object": "price", "currency": "eur", "product": "prod_Oi",
        "unit_amount": 500, "unit_amount_decimal": "500", "type": "recurring",
        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"}}}]},
  "pause_collection": null})";

providers::amount_change change(std::int64_t amount, std::string_view currency = "EUR",
                                common::interval every = common::interval::month) {
  providers::amount_change c;
  c.subscription_id = "sub_1Nv";
  c.pledge_id = "pl_1";
  c.amount_minor = amount;
  c.money = *common::find_currency(currency);
  c.every = every;
  return c;
}

TEST(StripeSubscriptionParams, ReadsTheOneItemOfASubscription) {
  auto item = parse_subscription_item(monthly_subscription);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->id, "si_OiE");
  EXPECT_EQ(item->product, "prod_Oi");
  EXPECT_EQ(item->unit_amount, 500);
  EXPECT_EQ(item->currency, "eur");
  EXPECT_EQ(item->interval, "month");
  EXPECT_EQ(item->interval_count, 1);
  EXPECT_EQ(item->quantity, 1);
}

TEST(StripeSubscriptionParams, AnythingButOneRecurringItemIsNotReadable) {
  std::string two(monthly_subscription);
  auto start = two.find(R"({"id": "si_OiE")");
  auto end = two.find("]},", start);
  two.insert(end, ", " + two.substr(start, end - start));
  EXPECT_FALSE(parse_subscription_item(two));

  std::string one_time(monthly_subscription);
  one_time.replace(one_time.find(R"("recurring": {)"), 0, R"("recurring": null, "x": {)");
  EXPECT_FALSE(parse_subscription_item(one_time));
  EXPECT_FALSE(parse_subscription_item(R"({"items": {"data": []}})"));
  EXPECT_FALSE(parse_subscription_item("not json"));
}

TEST(StripeSubscriptionParams, ANewAmountKeepsTheItemsProductCurrencyAndIntervalWithoutProration) {
  auto item = *parse_subscription_item(monthly_subscription);
  auto params = amount_change_params(item, 750);
  std::map<std::string, std::string> p(params.begin(), params.end());
  EXPECT_EQ(p.size(), 7u);
  EXPECT_EQ(p["items[0][id]"], "si_OiE");
  EXPECT_EQ(p["items[0][price_data][currency]"], "eur");
  EXPECT_EQ(p["items[0][price_data][product]"], "prod_Oi");
  EXPECT_EQ(p["items[0][price_data][unit_amount]"], "750");
  EXPECT_EQ(p["items[0][price_data][recurring][interval]"], "month");
  EXPECT_EQ(p["items[0][price_data][recurring][interval_count]"], "1");
  EXPECT_EQ(p["proration_behavior"], "none");
  EXPECT_FALSE(p.contains("items[0][price_data][product_data][name]"));
}

TEST(StripeSubscriptionParams, AChangeMustFitTheSubscriptionsCurrencyAndInterval) {
  auto item = *parse_subscription_item(monthly_subscription);
  EXPECT_EQ(amount_change_mismatch(item, change(750)), "");
  EXPECT_EQ(amount_change_mismatch(item, change(750, "USD")),
            "the subscription bills in eur, the change is in usd");
  EXPECT_EQ(amount_change_mismatch(item, change(750, "EUR", common::interval::year)),
            "the subscription renews every 1 month, the pledge every year");
  item.quantity = 2;
  EXPECT_EQ(amount_change_mismatch(item, change(750)), "the subscription's item is 2 units");
}

TEST(StripeSubscriptionParams, PauseUntilATimeOrResumeWithTheEmptyString) {
  auto pause = pause_collection_params(1'702'592'000);
  EXPECT_EQ(encode(pause),
            "pause_collection%5Bbehavior%5D=void&pause_collection%5Bresumes_at%5D=1702592000");
  EXPECT_EQ(encode(pause_collection_params(0)), "pause_collection=");
}

TEST(StripeSubscriptionParams, OnlyStripeShapedIdsGoIntoAPath) {
  EXPECT_TRUE(is_object_id("sub_1NvXyZ09"));
  EXPECT_TRUE(is_object_id("cus_test_Abc"));
  EXPECT_FALSE(is_object_id(""));
  EXPECT_FALSE(is_object_id("sub_1/../../v1/customers"));
  EXPECT_FALSE(is_object_id("sub_1?expand[]=customer"));
  EXPECT_FALSE(is_object_id("sub_1%2F"));
  EXPECT_FALSE(is_object_id(std::string(256, 'a')));
  EXPECT_EQ(subscription_path("sub_1Nv"), "/v1/subscriptions/sub_1Nv");
}

}  // namespace
}  // namespace supportd::providers::stripe

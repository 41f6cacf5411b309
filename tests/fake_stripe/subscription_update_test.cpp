#include "subscription_update.hpp"

#include <gtest/gtest.h>

namespace fake_stripe {
namespace {

constexpr std::int64_t now = 1'700'000'000;

subscription_update_result parse(std::string_view body) {
  return parse_subscription_update(*form_params::parse(body), now);
}

stripe_error refusal(std::string_view body) {
  auto r = parse(body);
  EXPECT_TRUE(std::holds_alternative<stripe_error>(r)) << body;
  return std::holds_alternative<stripe_error>(r) ? std::get<stripe_error>(r) : stripe_error{};
}

subscription_update accepted(std::string_view body) {
  auto r = parse(body);
  if (auto* e = std::get_if<stripe_error>(&r)) {
    ADD_FAILURE() << body << ": " << e->message;
    return {};
  }
  return std::get<subscription_update>(r);
}

constexpr std::string_view new_price =
    "items[0][id]=si_test_1"
    "&items[0][price_data][currency]=usd"
    "&items[0][price_data][product]=prod_test_1"
    "&items[0][price_data][unit_amount]=750"
    "&items[0][price_data][recurring][interval]=month"
    "&proration_behavior=none";

TEST(FakeStripeSubscriptionUpdate, ANewPriceForAnItem) {
  auto u = accepted(new_price);
  ASSERT_EQ(u.items.size(), 1u);
  EXPECT_EQ(u.items[0].id, "si_test_1");
  ASSERT_TRUE(u.items[0].price);
  EXPECT_EQ(u.items[0].price->currency, "usd");
  EXPECT_EQ(u.items[0].price->product, "prod_test_1");
  EXPECT_EQ(u.items[0].price->unit_amount, 750);
  EXPECT_EQ(u.items[0].price->interval, "month");
  EXPECT_EQ(u.items[0].price->interval_count, 1);
  EXPECT_EQ(u.proration_behavior, "none");
  EXPECT_TRUE(u.changes_billing());
  EXPECT_FALSE(u.pause_collection);
}

TEST(FakeStripeSubscriptionUpdate, ProrationBehaviorDefaultsAsStripesAndIsAnEnum) {
  EXPECT_EQ(accepted("items[0][id]=si_1&items[0][quantity]=2").proration_behavior,
            "create_prorations");
  auto e = refusal("proration_behavior=never");
  EXPECT_EQ(e.param, "proration_behavior");
  EXPECT_EQ(e.message,
            "Invalid proration_behavior: must be one of always_invoice, create_prorations, or "
            "none");
  EXPECT_FALSE(e.code);
}

TEST(FakeStripeSubscriptionUpdate, ItemPriceDataNamesAProductAndRecurs) {
  // A subscription item's price_data takes `product` (an id), never product_data.
  auto e = refusal(
      "items[0][id]=si_1&items[0][price_data][currency]=usd"
      "&items[0][price_data][product_data][name]=Support"
      "&items[0][price_data][unit_amount]=500&items[0][price_data][recurring][interval]=month");
  EXPECT_EQ(e.code, "parameter_unknown");
  EXPECT_EQ(e.param, "items[0][price_data][product_data]");

  e = refusal(
      "items[0][id]=si_1&items[0][price_data][currency]=usd&items[0][price_data][unit_amount]=500"
      "&items[0][price_data][recurring][interval]=month");
  EXPECT_EQ(e.code, "parameter_missing");
  EXPECT_EQ(e.param, "items[0][price_data][product]");

  e = refusal(
      "items[0][id]=si_1&items[0][price_data][currency]=usd&items[0][price_data][product]=p"
      "&items[0][price_data][unit_amount]=500");
  EXPECT_EQ(e.code, "parameter_missing");
  EXPECT_EQ(e.param, "items[0][price_data][recurring]");

  e = refusal(
      "items[0][id]=si_1&items[0][price_data][currency]=usd&items[0][price_data][product]=p"
      "&items[0][price_data][unit_amount]=500&items[0][price_data][recurring][interval]=fortnight");
  EXPECT_EQ(e.param, "items[0][price_data][recurring][interval]");

  e = refusal(
      "items[0][id]=si_1&items[0][price_data][currency]=xyz&items[0][price_data][product]=p"
      "&items[0][price_data][unit_amount]=500&items[0][price_data][recurring][interval]=month");
  EXPECT_EQ(e.param, "items[0][price_data][currency]");

  e = refusal(
      "items[0][id]=si_1&items[0][price_data][currency]=usd&items[0][price_data][product]=p"
      "&items[0][price_data][unit_amount]=5.5&items[0][price_data][recurring][interval]=month");
  EXPECT_EQ(e.code, "parameter_invalid_integer");
  EXPECT_EQ(e.param, "items[0][price_data][unit_amount]");
}

TEST(FakeStripeSubscriptionUpdate, RefusesUnknownAndUnmodelledNamesAndEmptyValues) {
  auto e = refusal("colour=blue");
  EXPECT_EQ(e.code, "parameter_unknown");
  EXPECT_EQ(e.message, "Received unknown parameter: colour");
  e = refusal("items[0][id]=si_1&items[0][colour]=blue");
  EXPECT_EQ(e.param, "items[0][colour]");
  e = refusal("pause_collection[behavior]=void&pause_collection[until]=1");
  EXPECT_EQ(e.param, "pause_collection[until]");
  // Stripe knows these; fake-stripe says it does not act on them rather than ignore them.
  e = refusal("trial_end=now");
  EXPECT_EQ(e.param, "trial_end");
  EXPECT_FALSE(e.code);
  e = refusal("items[0][id]=si_1&items[0][deleted]=true");
  EXPECT_EQ(e.param, "items[0][deleted]");

  e = refusal("items[0][id]=");
  EXPECT_EQ(e.code, "parameter_invalid_empty");
  e = refusal("proration_behavior=");
  EXPECT_EQ(e.code, "parameter_invalid_empty");
  e = refusal("pause_collection[behavior]=");
  EXPECT_EQ(e.code, "parameter_invalid_empty");
  // An item without an id would be a second item at Stripe.
  e = refusal(
      "items[0][price_data][currency]=usd&items[0][price_data][product]=p"
      "&items[0][price_data][unit_amount]=500&items[0][price_data][recurring][interval]=month");
  EXPECT_EQ(e.param, "items[0][id]");
  e = refusal("items[1][id]=si_1");
  EXPECT_EQ(e.param, "items");
  e = refusal("items[0][id]=si_1&items[0][price]=price_1");
  EXPECT_EQ(e.code, "resource_missing");
  EXPECT_EQ(e.status, 404);
}

TEST(FakeStripeSubscriptionUpdate, PauseCollectionIsSetWithABehaviorAndUnsetWithAnEmptyString) {
  auto u = accepted("pause_collection[behavior]=void&pause_collection[resumes_at]=1702592000");
  ASSERT_TRUE(u.pause_collection);
  ASSERT_TRUE(*u.pause_collection);
  EXPECT_EQ((**u.pause_collection), (collection_pause{"void", 1'702'592'000}));

  u = accepted("pause_collection[behavior]=keep_as_draft");
  EXPECT_EQ((**u.pause_collection), (collection_pause{"keep_as_draft", std::nullopt}));

  u = accepted("pause_collection=");
  ASSERT_TRUE(u.pause_collection);
  EXPECT_FALSE(*u.pause_collection);
  EXPECT_TRUE(u.changes_billing());

  auto e = refusal("pause_collection[behavior]=skip");
  EXPECT_EQ(e.message,
            "Invalid pause_collection[behavior]: must be one of keep_as_draft, "
            "mark_uncollectible, or void");
  e = refusal("pause_collection[resumes_at]=1702592000");
  EXPECT_EQ(e.code, "parameter_missing");
  EXPECT_EQ(e.param, "pause_collection[behavior]");
  e = refusal("pause_collection[behavior]=void&pause_collection[resumes_at]=soon");
  EXPECT_EQ(e.code, "parameter_invalid_integer");
  e = refusal("pause_collection[behavior]=void&pause_collection[resumes_at]=1699999999");
  EXPECT_EQ(e.param, "pause_collection[resumes_at]");
  e = refusal("pause_collection=void");
  EXPECT_EQ(e.param, "pause_collection");
}

TEST(FakeStripeSubscriptionUpdate, MetadataAndCancellationDetailsAsBefore) {
  auto u = accepted(
      "cancel_at_period_end=true&metadata[pledge_id]=pl_1&metadata[old]="
      "&cancellation_details[comment]=&cancellation_details[feedback]=too_expensive");
  EXPECT_EQ(u.cancel_at_period_end, true);
  EXPECT_EQ(u.metadata.at("pledge_id"), "pl_1");
  EXPECT_EQ(u.metadata.at("old"), "");
  EXPECT_EQ(u.cancellation_comment, "");
  EXPECT_EQ(u.cancellation_feedback, "too_expensive");
  EXPECT_TRUE(u.changes_billing());
  EXPECT_FALSE(accepted("metadata[pledge_id]=pl_1").changes_billing());
  EXPECT_TRUE(accepted("metadata=").metadata_cleared);
  EXPECT_EQ(refusal("cancel_at_period_end=yes").message, "Invalid boolean: yes");
  EXPECT_EQ(refusal("cancellation_details[feedback]=meh").param, "cancellation_details[feedback]");
}

}  // namespace
}  // namespace fake_stripe

#include "webhooks/stripe_event.hpp"

#include <gtest/gtest.h>

namespace supportd::webhooks {
namespace {

using pledges::pledge_event;

TEST(StripeEvent, CheckoutCompletedForASubscription) {
  auto e = parse_stripe_event(R"({"id":"evt_1","object":"event","type":"checkout.session.completed",
    "livemode":false,"created":1700000000,"data":{"object":{"object":"checkout.session","mode":"subscription",
    "client_reference_id":"pl_a","metadata":{"pledge_id":"pl_a"},"payment_status":"paid",
    "subscription":"sub_1","amount_total":500}}})");
  ASSERT_EQ(e.kind, event_kind::known);
  EXPECT_FALSE(e.livemode);
  EXPECT_EQ(e.update.event_id, "evt_1");
  EXPECT_EQ(e.update.pledge_id, "pl_a");
  EXPECT_EQ(e.update.subscription_id, "sub_1");
  EXPECT_EQ(e.update.input, pledge_event::checkout_completed);
  EXPECT_TRUE(e.update.increments.empty());  // counted on invoice.paid
}

TEST(StripeEvent, OneTimeGiftIsCountedAtCompletion) {
  auto e =
      parse_stripe_event(R"({"id":"evt_2","type":"checkout.session.completed","created":1700000000,
    "data":{"object":{"mode":"payment","client_reference_id":"pl_b","payment_status":"paid","amount_total":1500}}})");
  EXPECT_EQ(e.update.pledge_id, "pl_b");
  EXPECT_EQ(e.update.increments, (std::vector<std::pair<std::string, std::int64_t>>{
                                     {"charges_succeeded", 1}, {"total_given_minor", 1500}}));
}

// Seconds too large to hold in milliseconds are read as absent, not multiplied past the range
// of int64 (undefined behaviour; tests/fuzz/stripe_event/regression_timestamp_overflow).
TEST(StripeEvent, TimestampsBeyondMillisecondsAreAbsent) {
  auto paid = parse_stripe_event(R"({"id":"evt_7","type":"invoice.paid",
    "created":9223372036854775807,"data":{"object":{"subscription":"sub_1",
    "lines":{"data":[{"period":{"end":9223372036854775807}}]}}}})");
  auto ended = parse_stripe_event(R"({"id":"evt_8","type":"customer.subscription.updated",
    "data":{"object":{"id":"sub_1","status":"active","current_period_end":9223372036854776}}})");
  for (const auto* e : {&paid, &ended}) {
    EXPECT_EQ(e->kind, event_kind::known);
    for (const auto& [field, value] : e->update.fields) {
      EXPECT_NE(field, "next_charge_at_ms") << value;
      if (field == "last_charge_at_ms") {
        EXPECT_EQ(value, "0");
      }
    }
  }
}

TEST(StripeEvent, AsyncPaymentsWaitForSettlement) {
  auto e = parse_stripe_event(R"({"id":"evt_3","type":"checkout.session.completed",
    "data":{"object":{"mode":"payment","client_reference_id":"pl_c","payment_status":"unpaid"}}})");
  EXPECT_FALSE(e.update.input);
  auto settled =
      parse_stripe_event(R"({"id":"evt_4","type":"checkout.session.async_payment_succeeded",
    "data":{"object":{"mode":"payment","client_reference_id":"pl_c","payment_status":"paid","amount_total":700}}})");
  EXPECT_EQ(settled.update.input, pledge_event::async_payment_succeeded);
}

TEST(StripeEvent, InvoicesCarryRenewalBookkeeping) {
  auto paid = parse_stripe_event(R"({"id":"evt_5","type":"invoice.paid","created":1700000000,
    "data":{"object":{"object":"invoice","subscription":"sub_1","amount_paid":500,
    "subscription_details":{"metadata":{"pledge_id":"pl_a"}},
    "lines":{"data":[{"period":{"start":1700000000,"end":1702592000}}]}}}})");
  EXPECT_EQ(paid.update.input, pledge_event::renewal_paid);
  EXPECT_EQ(paid.update.pledge_id, "pl_a");
  EXPECT_EQ(paid.update.increments[1],
            (std::pair<std::string, std::int64_t>{"total_given_minor", 500}));
  bool next = false;
  for (const auto& [field, value] : paid.update.fields) {
    next |= field == "next_charge_at_ms" && value == "1702592000000";
  }
  EXPECT_TRUE(next);

  auto failed = parse_stripe_event(R"({"id":"evt_6","type":"invoice.payment_failed",
    "data":{"object":{"subscription":"sub_1"}}})");
  EXPECT_EQ(failed.update.input, pledge_event::renewal_failed);
  EXPECT_EQ(failed.update.pledge_id, "");  // found through the subscription instead
  EXPECT_EQ(failed.update.subscription_id, "sub_1");
}

// What the reader's messages say of a payment (pledges/message_plan.hpp).
TEST(StripeEvent, PaymentsCarryWhatTheReadersMessagesSay) {
  auto completed = parse_stripe_event(R"({"id":"evt_m1","type":"checkout.session.completed",
    "created":1700000000,"data":{"object":{"id":"cs_1","mode":"payment",
    "client_reference_id":"pl_b","payment_status":"paid","amount_total":1500}}})");
  EXPECT_EQ(completed.update.payment.invoice, "cs_1");
  EXPECT_EQ(completed.update.payment.amount_minor, 1500);
  EXPECT_EQ(completed.update.payment.at_ms, 1700000000000);
  EXPECT_EQ(completed.update.reader_email, "");  // the event names none
  auto with_address = parse_stripe_event(R"({"id":"evt_m6","type":"checkout.session.completed",
    "data":{"object":{"id":"cs_2","mode":"payment","client_reference_id":"pl_b",
    "payment_status":"paid","customer_details":{"email":"Reader@Example.org"}}}})");
  EXPECT_EQ(with_address.update.reader_email, "Reader@Example.org");
  auto unpaid = parse_stripe_event(R"({"id":"evt_m7","type":"checkout.session.completed",
    "data":{"object":{"id":"cs_3","mode":"payment","client_reference_id":"pl_b",
    "payment_status":"unpaid","customer_details":{"email":"reader@example.org"}}}})");
  EXPECT_EQ(unpaid.update.reader_email, "");  // only a paid session confirms it

  auto first = parse_stripe_event(R"({"id":"evt_m2","type":"invoice.paid","created":1700000000,
    "data":{"object":{"id":"in_1","subscription":"sub_1","amount_paid":500,
    "billing_reason":"subscription_create",
    "lines":{"data":[{"period":{"start":1700000000,"end":1731536000}}]}}}})");
  EXPECT_EQ(first.update.payment.invoice, "in_1");
  EXPECT_EQ(first.update.payment.amount_minor, 500);
  EXPECT_TRUE(first.update.payment.first_of_subscription);
  EXPECT_EQ(first.update.payment.period_end_ms, 1731536000000);
  auto renewal = parse_stripe_event(R"({"id":"evt_m3","type":"invoice.paid","data":{"object":{
    "id":"in_2","subscription":"sub_1","amount_paid":500,"billing_reason":"subscription_cycle"}}})");
  EXPECT_FALSE(renewal.update.payment.first_of_subscription);

  auto failed = parse_stripe_event(R"({"id":"evt_m4","type":"invoice.payment_failed",
    "data":{"object":{"id":"in_3","subscription":"sub_1","amount_due":500,"attempt_count":2,
    "next_payment_attempt":1700259200}}})");
  EXPECT_EQ(failed.update.payment.attempt_count, 2);
  EXPECT_EQ(failed.update.payment.next_retry_ms, 1700259200000);
  auto last = parse_stripe_event(R"({"id":"evt_m5","type":"invoice.payment_failed",
    "data":{"object":{"id":"in_3","subscription":"sub_1","attempt_count":4,
    "next_payment_attempt":null}}})");
  EXPECT_EQ(last.update.payment.next_retry_ms, 0);  // Stripe will not try again
}

// What a charge is counted once by: the invoice it pays, the one-time session, a failed
// invoice's attempt; an event naming none of them is counted once by its dedupe mark alone.
TEST(StripeEvent, EachPaymentNamesWhatItIsCountedOnceAs) {
  EXPECT_EQ(parse_stripe_event(R"({"id":"evt_p","type":"invoice.paid","data":{"object":{
    "id":"in_1","subscription":"sub_1","amount_paid":500}}})")
                .update.count_once_as,
            "in_1");
  EXPECT_EQ(parse_stripe_event(R"({"id":"evt_f","type":"invoice.payment_failed","data":{"object":{
    "id":"in_2","subscription":"sub_1","attempt_count":3}}})")
                .update.count_once_as,
            "in_2#3");
  EXPECT_EQ(parse_stripe_event(R"({"id":"evt_g","type":"invoice.payment_failed","data":{"object":{
    "id":"in_2","subscription":"sub_1"}}})")
                .update.count_once_as,
            "");
  const auto completed = parse_stripe_event(R"({"id":"evt_c","type":"checkout.session.completed",
    "data":{"object":{"id":"cs_1","mode":"payment","client_reference_id":"pl_b",
    "payment_status":"paid","amount_total":1500}}})");
  const auto settled =
      parse_stripe_event(R"({"id":"evt_s","type":"checkout.session.async_payment_succeeded",
    "data":{"object":{"id":"cs_1","mode":"payment","client_reference_id":"pl_b",
    "payment_status":"paid","amount_total":1500}}})");
  EXPECT_EQ(completed.update.count_once_as, "cs_1");
  EXPECT_EQ(settled.update.count_once_as, "cs_1");
  EXPECT_EQ(parse_stripe_event(R"({"id":"evt_d","type":"customer.subscription.deleted",
    "data":{"object":{"id":"sub_1","status":"canceled"}}})")
                .update.count_once_as,
            "");
}

TEST(StripeEvent, SubscriptionEndRefundDispute) {
  EXPECT_EQ(
      parse_stripe_event(
          R"({"id":"e","type":"customer.subscription.deleted","data":{"object":{"id":"sub_1","status":"canceled"}}})")
          .update.input,
      pledge_event::subscription_ended);
  EXPECT_FALSE(
      parse_stripe_event(
          R"({"id":"e","type":"customer.subscription.updated","data":{"object":{"id":"sub_1","status":"active"}}})")
          .update.input);
  EXPECT_EQ(
      parse_stripe_event(
          R"({"id":"e","type":"charge.refunded","data":{"object":{"metadata":{"pledge_id":"pl_a"},"amount_refunded":500,"refunded":true}}})")
          .update.input,
      pledge_event::refund_issued);
  // A partial refund is bookkeeping only: the charge is not refunded in full.
  auto partial = parse_stripe_event(
      R"({"id":"e","type":"charge.refunded","data":{"object":{"id":"ch_1","metadata":{"pledge_id":"pl_a"},"amount_refunded":200,"refunded":false}}})");
  EXPECT_FALSE(partial.update.input);
  ASSERT_EQ(partial.update.fields.size(), 1u);
  EXPECT_EQ(partial.update.fields[0],
            (std::pair<std::string, std::string>{"refunded:ch_1", "200"}));
  EXPECT_EQ(
      parse_stripe_event(
          R"({"id":"e","type":"charge.dispute.created","data":{"object":{"metadata":{"pledge_id":"pl_a"}}}})")
          .update.input,
      pledge_event::dispute_opened);
}

TEST(StripeEvent, PaymentsAreRememberedAndRefundsFoundByThem) {
  auto paid = parse_stripe_event(
      R"({"id":"e","type":"invoice.paid","data":{"object":{"subscription":"sub_1","charge":"ch_1","payment_intent":"pi_1"}}})");
  EXPECT_EQ(paid.update.payment_refs, (std::vector<std::string>{"ch_1", "pi_1"}));
  auto refund = parse_stripe_event(
      R"({"id":"e","type":"charge.refunded","data":{"object":{"id":"ch_1","payment_intent":"pi_1","amount_refunded":300}}})");
  EXPECT_EQ(refund.update.payment_lookups, (std::vector<std::string>{"ch_1", "pi_1"}));
  ASSERT_EQ(refund.update.fields.size(), 1u);
  EXPECT_EQ(refund.update.fields[0], (std::pair<std::string, std::string>{"refunded:ch_1", "300"}));
  auto dispute = parse_stripe_event(
      R"({"id":"e","type":"charge.dispute.created","data":{"object":{"id":"dp_1","charge":"ch_1"}}})");
  EXPECT_EQ(dispute.update.payment_lookups, (std::vector<std::string>{"ch_1"}));
}

// The pledge keeps who pays (for the card page): from the completed checkout, and from a
// subscription's invoices and updates for a pledge that missed it.
TEST(StripeEvent, TheCustomerWhoPaysIsKept) {
  using fields = std::vector<std::pair<std::string, std::string>>;
  auto completed = parse_stripe_event(R"({"id":"e","type":"checkout.session.completed",
    "data":{"object":{"mode":"subscription","client_reference_id":"pl_a","payment_status":"paid",
    "subscription":"sub_1","customer":"cus_1"}}})");
  EXPECT_EQ(completed.update.fields,
            (fields{{"subscription_id", "sub_1"}, {"customer_id", "cus_1"}}));
  auto paid = parse_stripe_event(R"({"id":"e","type":"invoice.paid",
    "data":{"object":{"id":"in_1","subscription":"sub_1","customer":{"id":"cus_1","object":"customer"}}}})");
  EXPECT_EQ(paid.update.fields.at(1),
            (std::pair<std::string, std::string>{"customer_id", "cus_1"}));
  auto updated = parse_stripe_event(R"({"id":"e","type":"customer.subscription.updated",
    "data":{"object":{"id":"sub_1","customer":"cus_1","status":"active"}}})");
  EXPECT_EQ(updated.update.fields,
            (fields{{"subscription_id", "sub_1"}, {"customer_id", "cus_1"}}));
  // No customer named (a guest's one-time checkout): nothing kept.
  auto guest = parse_stripe_event(R"({"id":"e","type":"checkout.session.completed",
    "data":{"object":{"mode":"payment","client_reference_id":"pl_b","payment_status":"paid",
    "customer":null}}})");
  for (const auto& [name, value] : guest.update.fields) {
    EXPECT_NE(name, "customer_id");
  }
}

// Stripe sends customer.subscription.updated after each change a reader makes: the pledge has
// recorded the change already, and an older event may come last, so neither the amount nor the
// pause is taken from it.
TEST(StripeEvent, ASubscriptionUpdateTakesNeitherAmountNorPause) {
  auto e = parse_stripe_event(R"({"id":"e","type":"customer.subscription.updated",
    "data":{"object":{"id":"sub_1","customer":"cus_1","status":"active","current_period_end":1777543200,
    "pause_collection":{"behavior":"void","resumes_at":1777456800},
    "items":{"data":[{"id":"si_1","price":{"unit_amount":700}}]}},
    "previous_attributes":{"pause_collection":null}}})");
  EXPECT_FALSE(e.update.input);
  EXPECT_TRUE(e.update.increments.empty());
  for (const auto& [name, value] : e.update.fields) {
    EXPECT_TRUE(name == "subscription_id" || name == "customer_id" || name == "next_charge_at_ms")
        << name;
  }
}

TEST(StripeEvent, UnknownAndMalformed) {
  EXPECT_EQ(parse_stripe_event(R"({"id":"e","type":"payout.paid","data":{"object":{}}})").kind,
            event_kind::unknown_type);
  EXPECT_EQ(parse_stripe_event("not json").kind, event_kind::malformed);
  EXPECT_EQ(parse_stripe_event(R"({"type":"invoice.paid","data":{"object":{}}})").kind,
            event_kind::malformed);
  EXPECT_EQ(parse_stripe_event(R"({"id":"e","type":"invoice.paid"})").kind, event_kind::malformed);
}

}  // namespace
}  // namespace supportd::webhooks

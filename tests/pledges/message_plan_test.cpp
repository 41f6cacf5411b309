// Which of the reader's messages a provider's event makes, and how a queued one is kept.
#include "pledges/message_plan.hpp"

#include <gtest/gtest.h>

namespace supportd::pledges {
namespace {

constexpr std::int64_t now_ms = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
constexpr std::int64_t day_ms = 24 * 3'600'000;

message_context context(pledge_state before, pledge_state after, interval every) {
  return {"pl_1", before, after, every, now_ms, std::chrono::days(14)};
}

provider_update paid_invoice(std::string invoice, bool first = false) {
  provider_update u;
  u.input = pledge_event::renewal_paid;
  u.count_once_as = invoice;
  u.payment.invoice = std::move(invoice);
  u.payment.amount_minor = 1500;
  u.payment.at_ms = now_ms - 60'000;
  u.payment.first_of_subscription = first;
  u.payment.period_end_ms = now_ms + 365 * day_ms;
  return u;
}

std::vector<std::string> ids_of(const std::vector<queued_message>& messages) {
  std::vector<std::string> ids;
  for (const auto& m : messages) {
    ids.push_back(m.webhook_id);
  }
  return ids;
}

TEST(MessagePlan, TheFirstPaymentThanksTheReaderOnce) {
  provider_update completed;
  completed.input = pledge_event::checkout_completed;
  completed.payment.amount_minor = 2500;
  completed.payment.at_ms = now_ms - 1000;
  auto messages =
      messages_for(completed, context(pledge_state::pending, pledge_state::paid, interval::once));
  ASSERT_EQ(ids_of(messages), std::vector<std::string>{"pm_pl_1_thank_you_1"});
  EXPECT_EQ(messages[0].due_ms, now_ms);
  EXPECT_FALSE(messages[0].per_payment);  // the state changes once: that makes it once
  auto facts = decode_queued("pl_1", messages[0].text);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->charged_minor, 2500);
  EXPECT_EQ(facts->charged_at_unix, (now_ms - 1000) / 1000);
  // The same completion once the pledge is paid changes no state: no second thank-you.
  EXPECT_TRUE(
      messages_for(completed, context(pledge_state::paid, pledge_state::paid, interval::once))
          .empty());
}

TEST(MessagePlan, ASubscriptionsFirstInvoiceIsThankedNotReceipted) {
  // The completion came first and thanked the reader; the first invoice adds no receipt.
  EXPECT_TRUE(messages_for(paid_invoice("in_1", true),
                           context(pledge_state::active, pledge_state::active, interval::month))
                  .empty());
  // The invoice came before the completion: it is the one that thanks.
  EXPECT_EQ(
      ids_of(messages_for(paid_invoice("in_1", true),
                          context(pledge_state::pending, pledge_state::active, interval::month))),
      std::vector<std::string>{"pm_pl_1_thank_you_1"});
}

TEST(MessagePlan, EachLaterPaidInvoiceIsAReceiptOnce) {
  auto messages = messages_for(
      paid_invoice("in_2"), context(pledge_state::past_due, pledge_state::active, interval::month));
  ASSERT_EQ(ids_of(messages), std::vector<std::string>{"pm_pl_1_payment_succeeded_in_2"});
  EXPECT_TRUE(messages[0].per_payment);  // with the invoice's first counting only
  auto facts = decode_queued("pl_1", messages[0].text);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->type, message_type::payment_succeeded);
  EXPECT_EQ(facts->charged_minor, 1500);
}

TEST(MessagePlan, AYearlyPledgesPaidInvoiceAnnouncesTheNextRenewalTwoWeeksAhead) {
  auto messages = messages_for(paid_invoice("in_2"),
                               context(pledge_state::active, pledge_state::active, interval::year));
  const auto renews_s = (now_ms + 365 * day_ms) / 1000;
  ASSERT_EQ(ids_of(messages),
            (std::vector<std::string>{"pm_pl_1_payment_succeeded_in_2",
                                      "pm_pl_1_renewal_upcoming_" + std::to_string(renews_s)}));
  EXPECT_EQ(messages[1].due_ms, now_ms + (365 - 14) * day_ms);
  auto facts = decode_queued("pl_1", messages[1].text);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->charged_at_unix, renews_s);
  // A monthly pledge gets no notice; a notice longer than the time left is due at once.
  EXPECT_EQ(messages_for(paid_invoice("in_2"),
                         context(pledge_state::active, pledge_state::active, interval::month))
                .size(),
            1u);
  auto late = paid_invoice("in_3");
  late.payment.period_end_ms = now_ms + 3 * day_ms;
  EXPECT_EQ(messages_for(late, context(pledge_state::active, pledge_state::active, interval::year))
                .back()
                .due_ms,
            now_ms);
}

TEST(MessagePlan, EachFailedAttemptIsAMessageWithTheNextRetry) {
  provider_update failed;
  failed.input = pledge_event::renewal_failed;
  failed.payment.invoice = "in_2";
  failed.payment.attempt_count = 2;
  failed.payment.next_retry_ms = now_ms + 3 * day_ms;
  auto messages = messages_for(
      failed, context(pledge_state::past_due, pledge_state::past_due, interval::month));
  ASSERT_EQ(ids_of(messages), std::vector<std::string>{"pm_pl_1_payment_failed_in_2_2"});
  EXPECT_TRUE(messages[0].per_payment);
  auto facts = decode_queued("pl_1", messages[0].text);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->attempt_count, 2);
  EXPECT_EQ(facts->next_retry_unix, (now_ms + 3 * day_ms) / 1000);
  // A pledge never paid (anyone can post one with anyone's address) hears nothing.
  EXPECT_TRUE(
      messages_for(failed, context(pledge_state::pending, pledge_state::pending, interval::month))
          .empty());
  // Without an attempt count there is no way to tell one attempt from the next: no message.
  failed.payment.attempt_count = 0;
  EXPECT_TRUE(
      messages_for(failed, context(pledge_state::active, pledge_state::past_due, interval::month))
          .empty());
}

TEST(MessagePlan, AnEndSaysWhetherFailedPaymentsEndedIt) {
  provider_update ended;
  ended.input = pledge_event::subscription_ended;
  auto after_failures =
      messages_for(ended, context(pledge_state::past_due, pledge_state::canceled, interval::month));
  ASSERT_EQ(ids_of(after_failures), std::vector<std::string>{"pm_pl_1_canceled_1"});
  EXPECT_EQ(decode_queued("pl_1", after_failures[0].text)->ended_by, canceled_by::failed_payments);
  auto by_provider =
      messages_for(ended, context(pledge_state::active, pledge_state::canceled, interval::month));
  EXPECT_EQ(decode_queued("pl_1", by_provider[0].text)->ended_by, canceled_by::provider);
  EXPECT_TRUE(
      messages_for(ended, context(pledge_state::canceled, pledge_state::canceled, interval::month))
          .empty());
  // Never paid: anyone may have posted it with the address, so its end says nothing to it.
  EXPECT_TRUE(
      messages_for(ended, context(pledge_state::pending, pledge_state::canceled, interval::month))
          .empty());
}

TEST(MessagePlan, AReadersOrAnAdminsCancellationSaysWhoEndedIt) {
  auto by_reader = messages_for_cancel(
      context(pledge_state::active, pledge_state::canceled, interval::month), canceled_by::reader);
  ASSERT_EQ(ids_of(by_reader), std::vector<std::string>{"pm_pl_1_canceled_1"});
  EXPECT_EQ(decode_queued("pl_1", by_reader[0].text)->ended_by, canceled_by::reader);
  auto by_admin = messages_for_cancel(
      context(pledge_state::past_due, pledge_state::canceled, interval::month), canceled_by::admin);
  EXPECT_EQ(decode_queued("pl_1", by_admin[0].text)->ended_by, canceled_by::admin);
  EXPECT_TRUE(
      messages_for_cancel(context(pledge_state::pending, pledge_state::canceled, interval::month),
                          canceled_by::reader)
          .empty());
}

TEST(MessagePlan, QueuedTextRoundTripsAndNothingElseDecodes) {
  message_facts m;
  m.type = message_type::payment_failed;
  m.pledge_id = "pl_1";
  m.occurrence = "in_2_3";
  m.attempt_count = 3;
  m.next_retry_unix = 1'800'000'000;
  auto back = decode_queued("pl_1", encode_queued(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(webhook_id(*back), webhook_id(m));
  EXPECT_EQ(back->next_retry_unix, m.next_retry_unix);
  m.next_retry_unix.reset();
  EXPECT_EQ(decode_queued("pl_1", encode_queued(m))->next_retry_unix, std::nullopt);
  for (std::string_view bad :
       {"", "pledge.thank_you", "pledge.nope|1|0|0|0||reader", "pledge.thank_you||0|0|0||reader",
        "pledge.thank_you|1|x|0|0||reader", "pledge.thank_you|1|0|0|0||nobody",
        "pledge.thank_you|1|0|0|0||reader|extra"}) {
    EXPECT_EQ(decode_queued("pl_1", bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace supportd::pledges

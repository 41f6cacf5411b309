#include "fake_stripe_api.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace fake_stripe {
namespace {

namespace json = boost::json;

const std::string subscription_body =
    "mode=subscription"
    "&line_items[0][price_data][currency]=usd"
    "&line_items[0][price_data][unit_amount]=500"
    "&line_items[0][price_data][product_data][name]=Monthly+support"
    "&line_items[0][price_data][recurring][interval]=month"
    "&line_items[0][quantity]=1"
    "&success_url=https%3A%2F%2Fnews.example%2Fthanks%3Fs%3D%7BCHECKOUT_SESSION_ID%7D"
    "&cancel_url=https%3A%2F%2Fnews.example%2Fsupport"
    "&client_reference_id=pl_123"
    "&metadata[pledge_id]=pl_123"
    "&subscription_data[metadata][pledge_id]=pl_123";

const std::string payment_body =
    "mode=payment&submit_type=donate"
    "&line_items[0][price_data][currency]=gbp"
    "&line_items[0][price_data][unit_amount]=300"
    "&line_items[0][price_data][product_data][name]=One-off"
    "&line_items[0][quantity]=1&success_url=https://news.example/thanks"
    "&customer_email=reader%40example.com"
    "&metadata[pledge_id]=pl_9&payment_intent_data[metadata][pledge_id]=pl_9";

class FakeStripeApi : public ::testing::Test {
 protected:
  FakeStripeApi()
      : api_(api_options{"sk_test_x", "http://127.0.0.1:1234", [this] { return now_; }, 42}) {}

  api_outcome call(std::string method, std::string target, std::string body = {},
                   std::vector<http_header> extra = {}) {
    api_request r{std::move(method), std::move(target), std::move(extra), std::move(body)};
    r.headers.push_back({"Authorization", "Bearer sk_test_x"});
    return api_.handle(r);
  }
  api_outcome call_without_auth(std::string method, std::string target,
                                std::vector<http_header> headers) {
    return api_.handle(api_request{std::move(method), std::move(target), std::move(headers), ""});
  }
  static json::object body(const api_outcome& out) {
    return json::parse(out.response.body).as_object();
  }
  static std::string header(const api_outcome& out, std::string_view name) {
    for (const auto& h : out.response.headers) {
      if (h.name == name) {
        return h.value;
      }
    }
    return "";
  }
  static json::object event(const outgoing_event& e) { return json::parse(e.body).as_object(); }

  std::int64_t now_ = 1'700'000'000;
  fake_stripe_api api_;
};

TEST_F(FakeStripeApi, RefusesMissingAndWrongKeys) {
  auto out = call_without_auth("GET", "/v1/checkout/sessions/cs_test_x", {});
  EXPECT_EQ(out.response.status, 401);
  EXPECT_EQ(body(out).at("error").at("type"), "invalid_request_error");
  out = call_without_auth("GET", "/v1/checkout/sessions/cs_test_x",
                          {{"Authorization", "Bearer sk_test_wrong1234"}});
  EXPECT_EQ(out.response.status, 401);
  EXPECT_EQ(body(out).at("error").at("message"), "Invalid API Key provided: sk_test_*****1234");
}

TEST_F(FakeStripeApi, CreatesAndRetrievesACheckoutSession) {
  auto out = call("POST", "/v1/checkout/sessions", subscription_body);
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  auto s = body(out);
  auto id = std::string(s.at("id").as_string());
  EXPECT_TRUE(id.starts_with("cs_test_"));
  EXPECT_EQ(s.at("object"), "checkout.session");
  EXPECT_EQ(s.at("url"), json::value("http://127.0.0.1:1234/pay/" + id));
  EXPECT_EQ(s.at("mode"), "subscription");
  EXPECT_EQ(s.at("status"), "open");
  EXPECT_EQ(s.at("payment_status"), "unpaid");
  EXPECT_EQ(s.at("amount_total"), 500);
  EXPECT_EQ(s.at("currency"), "usd");
  EXPECT_EQ(s.at("client_reference_id"), "pl_123");
  EXPECT_EQ(s.at("metadata").at("pledge_id"), "pl_123");
  EXPECT_TRUE(s.at("subscription").is_null());
  EXPECT_EQ(s.at("livemode"), false);
  EXPECT_EQ(s.at("expires_at"), now_ + 86'400);

  auto got = call("GET", "/v1/checkout/sessions/" + id);
  EXPECT_EQ(got.response.status, 200);
  EXPECT_EQ(got.response.body, out.response.body);

  auto missing = call("GET", "/v1/checkout/sessions/cs_test_nope");
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_EQ(body(missing).at("error").at("code"), "resource_missing");
}

TEST_F(FakeStripeApi, ReplaysIdempotentRequestsAndRefusesOtherParams) {
  std::vector<http_header> key{{"Idempotency-Key", "pledge-pl_123"}};
  auto first = call("POST", "/v1/checkout/sessions", subscription_body, key);
  auto again = call("POST", "/v1/checkout/sessions", subscription_body, key);
  EXPECT_EQ(again.response.status, 200);
  EXPECT_EQ(again.response.body, first.response.body);
  EXPECT_EQ(header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(header(again, "Original-Request"), header(first, "Request-Id"));

  auto other = call("POST", "/v1/checkout/sessions", payment_body, key);
  EXPECT_EQ(other.response.status, 400);
  EXPECT_EQ(body(other).at("error").at("type"), "idempotency_error");

  // Kept for 24 hours, then the key is free again.
  now_ += 24 * 60 * 60;
  auto later = call("POST", "/v1/checkout/sessions", payment_body, key);
  EXPECT_EQ(later.response.status, 200);
}

TEST_F(FakeStripeApi, SavesNoResultForInvalidParamsOrInjectedFailures) {
  std::vector<http_header> key{{"Idempotency-Key", "k1"}};
  auto invalid = call("POST", "/v1/checkout/sessions", "mode=payment", key);
  EXPECT_EQ(invalid.response.status, 400);

  call("POST", "/__control/fail",
       R"({"count":1,"mode":"status","status":500,"should_retry":true})");
  auto failed = call("POST", "/v1/checkout/sessions", subscription_body, key);
  EXPECT_EQ(failed.response.status, 500);
  EXPECT_EQ(body(failed).at("error").at("type"), "api_error");
  EXPECT_EQ(header(failed, "Stripe-Should-Retry"), "true");

  auto ok = call("POST", "/v1/checkout/sessions", subscription_body, key);
  EXPECT_EQ(ok.response.status, 200);
  EXPECT_EQ(header(ok, "Idempotent-Replayed"), "");

  call("POST", "/__control/fail", R"({"count":1,"mode":"drop"})");
  EXPECT_TRUE(call("POST", "/v1/checkout/sessions", subscription_body, key).drop);
  call("POST", "/__control/fail", R"({"count":1,"mode":"slow","delay_ms":250})");
  auto slow = call("POST", "/v1/checkout/sessions", subscription_body, key);
  EXPECT_EQ(slow.delay.count(), 250);
  EXPECT_EQ(header(slow, "Idempotent-Replayed"), "true");

  auto log = json::parse(call("GET", "/__control/requests").response.body).as_array();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[0].at("idempotency_key"), "k1");
  EXPECT_EQ(log[3].at("injected"), "drop");
  EXPECT_EQ(log[2].at("params").at("line_items[0][price_data][unit_amount]"), "500");
  EXPECT_EQ(log[2].at("params_nested").at("line_items").at(0).at("price_data").at("unit_amount"),
            "500");
}

TEST_F(FakeStripeApi, PayingASubscriptionSendsCompletedAndInvoicePaid) {
  auto id = std::string(
      body(call("POST", "/v1/checkout/sessions", subscription_body)).at("id").as_string());
  auto page = call("GET", "/pay/" + id);
  EXPECT_EQ(page.response.status, 200);
  EXPECT_NE(page.response.body.find("5.00"), std::string::npos);
  EXPECT_NE(page.response.body.find("per month"), std::string::npos);

  auto paid = call("POST", "/pay/" + id, "email=reader%40example.com");
  EXPECT_EQ(paid.response.status, 303);
  EXPECT_EQ(header(paid, "Location"), "https://news.example/thanks?s=" + id);
  ASSERT_EQ(paid.events.size(), 2u);
  EXPECT_EQ(paid.mode, api_outcome::delivery::before_answer);

  auto completed = event(paid.events[0]);
  EXPECT_EQ(completed.at("type"), "checkout.session.completed");
  EXPECT_EQ(completed.at("api_version"), "2024-06-20");
  const auto& session = completed.at("data").at("object");
  EXPECT_EQ(session.at("status"), "complete");
  EXPECT_EQ(session.at("payment_status"), "paid");
  EXPECT_EQ(session.at("client_reference_id"), "pl_123");
  auto sub_id = std::string(session.at("subscription").as_string());
  EXPECT_TRUE(sub_id.starts_with("sub_test_"));

  auto invoice = event(paid.events[1]);
  EXPECT_EQ(invoice.at("type"), "invoice.paid");
  const auto& inv = invoice.at("data").at("object");
  EXPECT_EQ(inv.at("subscription"), json::value(sub_id));
  EXPECT_EQ(inv.at("billing_reason"), "subscription_create");
  EXPECT_EQ(inv.at("subscription_details").at("metadata").at("pledge_id"), "pl_123");
  EXPECT_EQ(inv.at("lines").at("data").at(0).at("metadata").at("pledge_id"), "pl_123");
  EXPECT_EQ(inv.at("amount_paid"), 500);

  auto sub = body(call("GET", "/v1/subscriptions/" + sub_id));
  EXPECT_EQ(sub.at("status"), "active");
  EXPECT_EQ(sub.at("metadata").at("pledge_id"), "pl_123");

  // A renewal, a failed one and its successful retry.
  auto renewal = call("POST", "/__control/events",
                      R"({"type":"invoice.paid","subscription":")" + sub_id + "\"}");
  ASSERT_EQ(renewal.events.size(), 1u);
  auto cycle = event(renewal.events[0]).at("data").at("object");
  EXPECT_EQ(cycle.at("billing_reason"), "subscription_cycle");
  EXPECT_EQ(cycle.at("lines").at("data").at(0).at("period").at("start"),
            body(call("GET", "/v1/subscriptions/" + sub_id)).at("current_period_start"));
  auto failed = call("POST", "/__control/events",
                     R"({"type":"invoice.payment_failed","session":")" + id + "\"}");
  auto failed_invoice = event(failed.events[0]).at("data").at("object");
  EXPECT_EQ(failed_invoice.at("paid"), false);
  EXPECT_EQ(body(call("GET", "/v1/subscriptions/" + sub_id)).at("status"), "past_due");

  // Cancelling twice answers the canceled subscription both times; one deleted event.
  auto cancel = call("DELETE", "/v1/subscriptions/" + sub_id);
  EXPECT_EQ(body(cancel).at("status"), "canceled");
  ASSERT_EQ(cancel.events.size(), 1u);
  EXPECT_EQ(cancel.events[0].type, "customer.subscription.deleted");
  auto again = call("DELETE", "/v1/subscriptions/" + sub_id);
  EXPECT_EQ(again.response.status, 200);
  EXPECT_EQ(body(again).at("status"), "canceled");
  EXPECT_TRUE(again.events.empty());
}

TEST_F(FakeStripeApi, PaymentChargesCarryThePaymentIntentsMetadata) {
  auto id =
      std::string(body(call("POST", "/v1/checkout/sessions", payment_body)).at("id").as_string());
  auto paid = call("POST", "/pay/" + id, "");
  ASSERT_EQ(paid.events.size(), 1u);
  auto session = event(paid.events[0]).at("data").at("object");
  EXPECT_EQ(session.at("payment_status"), "paid");
  EXPECT_EQ(session.at("customer_details").at("email"), "reader@example.com");

  auto refund =
      call("POST", "/__control/events", R"({"type":"charge.refunded","session":")" + id + "\"}");
  ASSERT_EQ(refund.events.size(), 1u);
  auto charge = event(refund.events[0]).at("data");
  EXPECT_EQ(charge.at("object").at("metadata").at("pledge_id"), "pl_9");
  EXPECT_EQ(charge.at("object").at("payment_intent"), session.at("payment_intent"));
  EXPECT_EQ(charge.at("object").at("refunded"), true);
  EXPECT_EQ(charge.at("previous_attributes").at("amount_refunded"), 0);

  auto dispute = call("POST", "/__control/events",
                      R"({"type":"charge.dispute.created","session":")" + id + "\"}");
  auto object = event(dispute.events[0]).at("data").at("object");
  EXPECT_EQ(object.at("object"), "dispute");
  EXPECT_EQ(object.at("payment_intent"), session.at("payment_intent"));

  auto no_sub =
      call("POST", "/__control/events", R"({"type":"invoice.paid","session":")" + id + "\"}");
  EXPECT_EQ(no_sub.response.status, 409);
}

TEST_F(FakeStripeApi, SessionsExpire) {
  auto id =
      std::string(body(call("POST", "/v1/checkout/sessions", payment_body)).at("id").as_string());
  now_ += 86'400;
  auto got = call("GET", "/v1/checkout/sessions/" + id);
  EXPECT_EQ(body(got).at("status"), "expired");
  EXPECT_TRUE(body(got).at("url").is_null());
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].type, "checkout.session.expired");
  EXPECT_EQ(call("POST", "/pay/" + id, "").response.status, 410);
}

TEST_F(FakeStripeApi, UnknownUrlsAnswerLikeStripe) {
  auto out = call("GET", "/v1/customers");
  EXPECT_EQ(out.response.status, 404);
  EXPECT_EQ(body(out).at("error").at("message"),
            "Unrecognized request URL (GET: /v1/customers). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.");
}

// A reader's changes to a paid monthly subscription: a new price from the next renewal on,
// paused collection, and the Billing Portal's card update.
class FakeStripeSubscriptionChanges : public FakeStripeApi {
 protected:
  void SetUp() override {
    session_ = std::string(
        body(call("POST", "/v1/checkout/sessions", subscription_body)).at("id").as_string());
    auto paid = call("POST", "/pay/" + session_, "email=reader%40example.com");
    ASSERT_EQ(paid.response.status, 303);
    auto completed = event(paid.events[0]).at("data").at("object");
    sub_ = std::string(completed.at("subscription").as_string());
    customer_ = std::string(completed.at("customer").as_string());
    auto item = subscription().at("items").at("data").at(0);
    item_ = std::string(item.at("id").as_string());
    product_ = std::string(item.at("price").at("product").as_string());
  }
  json::object subscription() { return body(call("GET", "/v1/subscriptions/" + sub_)); }
  api_outcome update(const std::string& params, std::vector<http_header> headers = {}) {
    return call("POST", "/v1/subscriptions/" + sub_, params, std::move(headers));
  }
  std::string new_price(int amount, const std::string& proration = "none") {
    return "items[0][id]=" + item_ + "&items[0][price_data][currency]=usd" +
           "&items[0][price_data][product]=" + product_ +
           "&items[0][price_data][unit_amount]=" + std::to_string(amount) +
           "&items[0][price_data][recurring][interval]=month" +
           (proration.empty() ? "" : "&proration_behavior=" + proration);
  }
  api_outcome renew() {
    return call("POST", "/__control/events",
                R"({"type":"invoice.paid","subscription":")" + sub_ + "\"}");
  }

  std::string session_, sub_, customer_, item_, product_;
};

TEST_F(FakeStripeSubscriptionChanges, SubscriptionsShowTheirItemAndNoPause) {
  auto s = subscription();
  const auto& items = s.at("items").as_object();
  EXPECT_EQ(items.at("object"), "list");
  ASSERT_EQ(items.at("data").as_array().size(), 1u);
  const auto& item = items.at("data").at(0);
  EXPECT_TRUE(item_.starts_with("si_"));
  EXPECT_EQ(item.at("object"), "subscription_item");
  EXPECT_TRUE(product_.starts_with("prod_"));
  EXPECT_EQ(item.at("price").at("unit_amount"), 500);
  EXPECT_EQ(item.at("price").at("currency"), "usd");
  EXPECT_EQ(item.at("price").at("recurring").at("interval"), "month");
  EXPECT_TRUE(s.at("pause_collection").is_null());
}

TEST_F(FakeStripeSubscriptionChanges, ANewPriceIsChargedFromTheNextRenewalOn) {
  auto out = update(new_price(750), {{"Idempotency-Key", "amount-pl_123-750"}});
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  auto s = body(out);
  const auto& price = s.at("items").at("data").at(0).at("price");
  EXPECT_EQ(s.at("items").at("data").at(0).at("id"), json::value(item_));
  EXPECT_EQ(price.at("unit_amount"), 750);
  EXPECT_EQ(price.at("product"), json::value(product_));
  EXPECT_EQ(s.at("plan").at("amount"), 750);
  ASSERT_EQ(out.events.size(), 1u);
  auto updated = event(out.events[0]);
  EXPECT_EQ(updated.at("type"), "customer.subscription.updated");
  EXPECT_EQ(updated.at("request").at("idempotency_key"), "amount-pl_123-750");
  const auto& previous = updated.at("data").at("previous_attributes");
  EXPECT_EQ(previous.at("items").at("data").at(0).at("price").at("unit_amount"), 500);
  EXPECT_EQ(previous.at("plan").at("amount"), 500);

  // The period already paid stays paid: the next renewal bills the new price.
  auto renewal = renew();
  ASSERT_EQ(renewal.events.size(), 1u);
  EXPECT_EQ(event(renewal.events[0]).at("data").at("object").at("amount_paid"), 750);
  EXPECT_EQ(renewal.report.at("amount_paid"), 750);
  EXPECT_EQ(renewal.report.at("collection_paused"), false);
  auto line = event(renewal.events[0]).at("data").at("object").at("lines").at("data").at(0);
  EXPECT_EQ(line.at("amount"), 750);
  EXPECT_EQ(line.at("subscription_item"), json::value(item_));

  // The same amount again makes another price, as at Stripe; what is charged stays.
  auto again = update(new_price(750));
  EXPECT_EQ(again.response.status, 200);
  EXPECT_EQ(body(again).at("items").at("data").at(0).at("price").at("unit_amount"), 750);
}

TEST_F(FakeStripeSubscriptionChanges, PriceChangesAreCheckedAgainstTheSubscription) {
  auto unknown_item =
      update("items[0][id]=si_test_nope&items[0][quantity]=1&proration_behavior=none");
  EXPECT_EQ(unknown_item.response.status, 404);
  EXPECT_EQ(body(unknown_item).at("error").at("code"), "resource_missing");
  EXPECT_EQ(body(unknown_item).at("error").at("param"), "items[0][id]");

  auto other_product = new_price(750);
  other_product.replace(other_product.find(product_), product_.size(), "prod_nope");
  auto unknown_product = update(other_product);
  EXPECT_EQ(unknown_product.response.status, 404);
  EXPECT_EQ(body(unknown_product).at("error").at("message"), "No such product: 'prod_nope'");

  auto euros = new_price(750);
  euros.replace(euros.find("=usd"), 4, "=eur");
  EXPECT_EQ(body(update(euros)).at("error").at("param"), "items[0][price_data][currency]");
  auto yearly = new_price(750);
  yearly.replace(yearly.find("=month"), 6, "=year");
  EXPECT_EQ(body(update(yearly)).at("error").at("param"),
            "items[0][price_data][recurring][interval]");
  // Without proration_behavior Stripe would prorate; fake-stripe refuses rather than pretend.
  auto prorated = update(new_price(750, ""));
  EXPECT_EQ(prorated.response.status, 400);
  EXPECT_EQ(body(prorated).at("error").at("param"), "proration_behavior");

  // Nothing of the refused requests stuck, and no event went out.
  EXPECT_EQ(subscription().at("items").at("data").at(0).at("price").at("unit_amount"), 500);
  for (auto* r : {&unknown_item, &unknown_product, &prorated}) {
    EXPECT_TRUE(r->events.empty());
  }
}

TEST_F(FakeStripeSubscriptionChanges, RenewalsWhilePausedChargeNothingUntilResumesAt) {
  const auto period_end = subscription().at("current_period_end").as_int64();
  // Paused for one renewal: the next one falls before resumes_at, the one after does not.
  const auto resumes_at = period_end + 86'400;
  auto out = update("pause_collection[behavior]=void&pause_collection[resumes_at]=" +
                    std::to_string(resumes_at));
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  EXPECT_EQ(body(out).at("pause_collection").at("behavior"), "void");
  EXPECT_EQ(body(out).at("pause_collection").at("resumes_at"), resumes_at);
  ASSERT_EQ(out.events.size(), 1u);
  auto updated = event(out.events[0]);
  EXPECT_TRUE(updated.at("data").at("previous_attributes").at("pause_collection").is_null());
  EXPECT_EQ(body(out).at("status"), "active");

  auto skipped = renew();
  EXPECT_TRUE(skipped.events.empty());
  EXPECT_EQ(skipped.response.status, 200);
  auto answer = body(skipped);
  EXPECT_TRUE(answer.at("id").is_null());
  EXPECT_EQ(answer.at("collection_paused"), true);
  EXPECT_EQ(answer.at("invoice_status"), "void");
  EXPECT_EQ(answer.at("amount_due"), 500);
  EXPECT_EQ(answer.at("amount_paid"), 0);
  EXPECT_EQ(answer.at("period_start"), period_end);
  EXPECT_EQ(subscription().at("current_period_start"), period_end);

  auto charged = renew();
  ASSERT_EQ(charged.events.size(), 1u);
  EXPECT_EQ(event(charged.events[0]).at("data").at("object").at("amount_paid"), 500);

  // Unset with the empty string, as Stripe documents: the previous pause is in the event.
  auto resumed = update("pause_collection=");
  EXPECT_TRUE(body(resumed).at("pause_collection").is_null());
  ASSERT_EQ(resumed.events.size(), 1u);
  EXPECT_EQ(event(resumed.events[0])
                .at("data")
                .at("previous_attributes")
                .at("pause_collection")
                .at("behavior"),
            "void");
}

TEST_F(FakeStripeSubscriptionChanges, APauseWithoutResumesAtSkipsEveryRenewalUntilUnset) {
  ASSERT_EQ(update("pause_collection[behavior]=mark_uncollectible").response.status, 200);
  for (int i = 0; i < 3; ++i) {
    auto skipped = renew();
    EXPECT_TRUE(skipped.events.empty());
    EXPECT_EQ(body(skipped).at("invoice_status"), "uncollectible");
  }
  ASSERT_EQ(update("pause_collection=").response.status, 200);
  EXPECT_EQ(renew().events.size(), 1u);
  // A canceled subscription takes no pause.
  call("DELETE", "/v1/subscriptions/" + sub_);
  EXPECT_EQ(update("pause_collection[behavior]=void").response.status, 400);
}

TEST_F(FakeStripeSubscriptionChanges, APortalSessionLeadsToACardUpdateAndBack) {
  auto missing = call("POST", "/v1/billing_portal/sessions", "customer=cus_test_nope");
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_EQ(body(missing).at("error").at("message"), "No such customer: 'cus_test_nope'");
  EXPECT_EQ(body(missing).at("error").at("param"), "customer");

  auto out = call("POST", "/v1/billing_portal/sessions",
                  "customer=" + customer_ + "&return_url=https%3A%2F%2Fnews.example%2Fmanage");
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  auto session = body(out);
  auto id = std::string(session.at("id").as_string());
  EXPECT_TRUE(id.starts_with("bps_"));
  EXPECT_EQ(session.at("object"), "billing_portal.session");
  EXPECT_EQ(session.at("customer"), json::value(customer_));
  EXPECT_EQ(session.at("return_url"), "https://news.example/manage");
  EXPECT_EQ(session.at("url"), json::value("http://127.0.0.1:1234/billing/" + id));
  EXPECT_EQ(session.at("livemode"), false);
  EXPECT_EQ(session.at("created"), now_);
  EXPECT_TRUE(session.at("flow").is_null());
  EXPECT_TRUE(std::string(session.at("configuration").as_string()).starts_with("bpc_"));
  EXPECT_TRUE(out.events.empty());

  auto page = call("GET", "/billing/" + id);
  EXPECT_EQ(page.response.status, 200);
  EXPECT_EQ(page.response.content_type, "text/html; charset=utf-8");
  const auto& html = page.response.body;
  EXPECT_NE(html.find(customer_), std::string::npos);
  EXPECT_NE(html.find("reader@example.com"), std::string::npos);
  EXPECT_NE(html.find("5.00 USD per month"), std::string::npos);
  EXPECT_NE(html.find("<form method=\"post\" action=\"/billing/" + id + "\">"), std::string::npos);
  EXPECT_NE(html.find("Update card"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);

  auto portal = [&] {
    return json::parse(call("GET", "/__control/portal_sessions").response.body).as_array();
  };
  EXPECT_TRUE(portal().at(0).at("card_updated_at").is_null());
  now_ += 60;
  auto updated = call("POST", "/billing/" + id, "");
  EXPECT_EQ(updated.response.status, 303);
  // Without a flow the portal shows the change, and its link leads back to return_url.
  EXPECT_EQ(header(updated, "Location"), session.at("url").as_string());
  EXPECT_EQ(portal().at(0).at("card_updated_at"), now_);
  EXPECT_EQ(portal().at(0).at("customer"), json::value(customer_));
  const auto after = call("GET", "/billing/" + id).response.body;
  EXPECT_NE(after.find("Your card was updated"), std::string::npos);
  EXPECT_NE(after.find("<a href=\"https://news.example/manage\" data-testid=\"return\">"),
            std::string::npos);
  EXPECT_EQ(call("GET", "/billing/bps_test_nope").response.status, 404);
}

TEST_F(FakeStripeSubscriptionChanges, APaymentMethodUpdateFlowReturnsWhereTheFlowSays) {
  auto out = call("POST", "/v1/billing_portal/sessions",
                  "customer=" + customer_ +
                      "&return_url=https://news.example/manage"
                      "&flow_data[type]=payment_method_update"
                      "&flow_data[after_completion][type]=redirect"
                      "&flow_data[after_completion][redirect][return_url]="
                      "https://news.example/manage%3Fdone%3Dcard");
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  auto session = body(out);
  const auto& flow = session.at("flow");
  EXPECT_EQ(flow.at("type"), "payment_method_update");
  EXPECT_EQ(flow.at("after_completion").at("type"), "redirect");
  EXPECT_EQ(flow.at("after_completion").at("redirect").at("return_url"),
            "https://news.example/manage?done=card");
  auto id = std::string(session.at("id").as_string());
  EXPECT_EQ(header(call("POST", "/billing/" + id, ""), "Location"),
            "https://news.example/manage?done=card");
}

// The event log as GET /v1/events serves it: every event made, newest first (creation order
// within a second), filtered by created, types and type, paged by cursors.
class FakeStripeEvents : public FakeStripeApi {
 protected:
  // A paid monthly subscription (checkout.session.completed and invoice.paid at now_), then
  // `renewals` invoice.paid events, one a second. Returns the session id.
  std::string subscribe_and_renew(int renewals) {
    auto id = std::string(
        body(call("POST", "/v1/checkout/sessions", subscription_body)).at("id").as_string());
    EXPECT_EQ(call("POST", "/pay/" + id, "").response.status, 303);
    for (int i = 0; i < renewals; ++i) {
      ++now_;
      auto out =
          call("POST", "/__control/events", R"({"type":"invoice.paid","session":")" + id + "\"}");
      EXPECT_EQ(out.events.size(), 1u);
    }
    return id;
  }
  json::object list(const std::string& query) {
    auto out = call("GET", "/v1/events" + query);
    EXPECT_EQ(out.response.status, 200) << out.response.body;
    return body(out);
  }
  static std::vector<std::string> ids(const json::object& page) {
    std::vector<std::string> out;
    for (const auto& e : page.at("data").as_array()) {
      out.emplace_back(e.at("id").as_string());
    }
    return out;
  }
};

TEST_F(FakeStripeEvents, ListsEveryEventNewestFirstAsSent) {
  const auto start = now_;
  subscribe_and_renew(2);
  auto page = list("");
  EXPECT_EQ(page.at("object"), "list");
  EXPECT_EQ(page.at("url"), "/v1/events");
  EXPECT_EQ(page.at("has_more"), false);
  const auto& data = page.at("data").as_array();
  ASSERT_EQ(data.size(), 4u);
  // The two renewals, then the checkout's two events of one second: invoice.paid was made last.
  EXPECT_EQ(data[0].at("created"), start + 2);
  EXPECT_EQ(data[1].at("created"), start + 1);
  EXPECT_EQ(data[2].at("type"), "invoice.paid");
  EXPECT_EQ(data[3].at("type"), "checkout.session.completed");
  EXPECT_EQ(data[2].at("created"), start);
  EXPECT_EQ(data[3].at("created"), start);
  // The very object a webhook carried.
  auto single = call("GET", "/v1/events/" + std::string(data[1].at("id").as_string()));
  EXPECT_EQ(single.response.status, 200);
  EXPECT_EQ(json::parse(single.response.body), data[1]);
  EXPECT_EQ(call("GET", "/v1/events/evt_test_nope").response.status, 404);
}

TEST_F(FakeStripeEvents, PagesWithStartingAfterAndEndingBeforeWithoutGapsOrRepeats) {
  subscribe_and_renew(23);  // 25 events
  const auto all = ids(list("?limit=100"));
  ASSERT_EQ(all.size(), 25u);
  std::vector<std::string> walked;
  std::string query = "?limit=10";
  for (;;) {
    auto page = list(query);
    auto got = ids(page);
    walked.insert(walked.end(), got.begin(), got.end());
    if (!page.at("has_more").as_bool()) {
      break;
    }
    query = "?limit=10&starting_after=" + got.back();
  }
  EXPECT_EQ(walked, all);
  // ending_before gives the page just newer than its cursor, still newest first.
  auto newer = ids(list("?limit=3&ending_before=" + all[10]));
  EXPECT_EQ(newer, (std::vector<std::string>{all[7], all[8], all[9]}));
  EXPECT_EQ(list("?limit=3&ending_before=" + all[10]).at("has_more"), true);
  EXPECT_EQ(list("?limit=3&ending_before=" + all[2]).at("has_more"), false);
}

TEST_F(FakeStripeEvents, FiltersByCreatedAndByTypes) {
  const auto start = now_;
  subscribe_and_renew(5);
  EXPECT_EQ(ids(list("?created[gte]=" + std::to_string(start + 3))).size(), 3u);
  EXPECT_EQ(ids(list("?created[gt]=" + std::to_string(start + 3))).size(), 2u);
  EXPECT_EQ(ids(list("?created[lte]=" + std::to_string(start))).size(), 2u);
  EXPECT_EQ(ids(list("?created=" + std::to_string(start + 1))).size(), 1u);
  EXPECT_EQ(ids(list("?created[gte]=" + std::to_string(start + 2) +
                     "&created[lt]=" + std::to_string(start + 4)))
                .size(),
            2u);
  // types[] as curl and supportd send it, types[0] as stripe-node does; type with a wildcard.
  EXPECT_EQ(ids(list("?types[]=checkout.session.completed")).size(), 1u);
  EXPECT_EQ(ids(list("?types[0]=checkout.session.completed&types[1]=invoice.paid")).size(), 7u);
  EXPECT_EQ(ids(list("?types[]=charge.refunded")).size(), 0u);
  EXPECT_EQ(ids(list("?type=invoice.*")).size(), 6u);
  EXPECT_EQ(ids(list("?type=invoice.paid&created[gte]=" + std::to_string(start + 5))).size(), 1u);
  // A cursor keeps its place in the whole list, whatever the filter.
  auto all = ids(list(""));
  auto after_checkout =
      ids(list("?types[]=invoice.paid&starting_after=" + all.back()));  // the oldest event
  EXPECT_TRUE(after_checkout.empty());
}

TEST_F(FakeStripeEvents, RefusesWhatStripeRefuses) {
  subscribe_and_renew(1);
  auto status_and_param = [&](const std::string& query) {
    auto out = call("GET", "/v1/events" + query);
    auto error = body(out).at("error").as_object();
    EXPECT_EQ(error.at("type"), "invalid_request_error") << query;
    auto param = error.if_contains("param");
    return std::pair{out.response.status,
                     param && param->is_string() ? std::string(param->as_string()) : ""};
  };
  EXPECT_EQ(status_and_param("?limit=0"), (std::pair{400, std::string("limit")}));
  EXPECT_EQ(status_and_param("?limit=101"), (std::pair{400, std::string("limit")}));
  EXPECT_EQ(status_and_param("?limit=ten"), (std::pair{400, std::string("limit")}));
  EXPECT_EQ(status_and_param("?created[gte]=soon"), (std::pair{400, std::string("created[gte]")}));
  EXPECT_EQ(status_and_param("?colour=blue"), (std::pair{400, std::string("colour")}));
  EXPECT_EQ(status_and_param("?starting_after=evt_test_nope"),
            (std::pair{404, std::string("starting_after")}));
  EXPECT_EQ(status_and_param("?starting_after=a&ending_before=b").first, 400);
  EXPECT_EQ(status_and_param("?type=invoice.paid&types[]=invoice.paid").first, 400);
  EXPECT_EQ(call("POST", "/v1/events", "limit=1").response.status, 404);
  EXPECT_EQ(call_without_auth("GET", "/v1/events", {}).response.status, 401);
}

TEST_F(FakeStripeEvents, DeliverySuccessFollowsTheDeliveryLog) {
  subscribe_and_renew(1);
  auto all = ids(list(""));
  api_.record_delivery({all[0], "invoice.paid", ""}, 1, 500, "");
  api_.record_delivery({all[1], "invoice.paid", ""}, 1, 200, "");
  EXPECT_EQ(ids(list("?delivery_success=true")), (std::vector<std::string>{all[1]}));
  EXPECT_EQ(ids(list("?delivery_success=false")), (std::vector<std::string>{all[0], all[2]}));
  // Reset forgets the log.
  call("POST", "/__control/reset", "{}");
  EXPECT_TRUE(ids(list("")).empty());
}

}  // namespace
}  // namespace fake_stripe

// stripe_client's calls for a reader's changes to a recurring pledge, against the real
// fake-stripe binary over TLS: what reaches the API (fake-stripe's request log), and what the
// reader would notice afterwards (the next renewal's charge, the portal page).
#include "providers/stripe/stripe_client.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "e2e/fake_stripe_peer.hpp"
#include "support/child_process.hpp"
#include "support/run_awaitable.hpp"
#include "support/supportd_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::providers::stripe {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr std::string_view secret_key = "sk_test_client";
constexpr const char* traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class StripeClient : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto cert = (dir.path() / "cert.pem").string();
    const auto key = (dir.path() / "key.pem").string();
    test::make_certificate(cert, key, "fake-stripe");
    fake = std::make_unique<test::child_process>(
        std::vector<std::string>{FAKE_STRIPE_BINARY, "--listen", "127.0.0.1:0", "--tls-cert", cert,
                                 "--tls-key", key, "--secret-key", std::string(secret_key)});
    base = "https://127.0.0.1:" + std::to_string(test::listening_port(*fake));
    settings.api = *http::base_url::parse(base);
    settings.secret_key = secret_key;
    settings.timeout = 5s;
    settings.retry.first_delay = 20ms;
    settings.retry.max_delay = 50ms;
    auto tls = http::make_client_tls_context(cert);
    client.emplace(io, settings, tls, breaker, metrics);
    peer.emplace(io, settings.api, tls, 5s);
  }

  // A request to fake-stripe as a test (or the reader's browser) makes it.
  http::outbound_response send(std::string_view method, std::string target, std::string body = {},
                               std::string content_type = "application/json") {
    http::outbound_request r{method, std::move(target), {}, std::move(body)};
    r.headers.emplace_back("Authorization", "Bearer " + std::string(secret_key));
    if (!r.body.empty()) {
      r.headers.emplace_back("Content-Type", std::move(content_type));
    }
    auto response = test::run(io, peer->send(r));
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : http::outbound_response{};
  }
  json::value get_json(std::string target) {
    return json::parse(send("GET", std::move(target)).body);
  }
  json::array requests() { return get_json("/__control/requests").as_array(); }
  json::value renew(const std::string& subscription) {
    return json::parse(send("POST", "/__control/events",
                            R"({"type":"invoice.paid","subscription":")" + subscription + "\"}")
                           .body);
  }

  // A monthly pledge of 5.00 EUR, checked out through the client and paid on the hosted page.
  // Sets subscription_id and customer_id.
  void subscribe() {
    providers::checkout_request r;
    r.pledge_id = "pl_client";
    r.amount_minor = 500;
    r.money = *common::find_currency("EUR");
    r.every = common::interval::month;
    r.customer_email = "reader@example.org";
    r.success_url = "https://news.example/thanks";
    r.cancel_url = "https://news.example/support";
    auto session = test::run(io, client->create_checkout(r));
    ASSERT_TRUE(session) << session.error().message;
    auto pay = send("POST", "/pay/" + session->id, "email=reader%40example.org",
                    "application/x-www-form-urlencoded");
    ASSERT_EQ(pay.status, 303);
    auto paid = get_json("/v1/checkout/sessions/" + session->id);
    subscription_id = std::string(paid.at("subscription").as_string());
    customer_id = std::string(paid.at("customer").as_string());
    requests_before = requests().size();
  }
  // The /v1 requests since subscribe().
  std::vector<json::object> new_requests() {
    std::vector<json::object> out;
    auto all = requests();
    for (auto i = requests_before; i < all.size(); ++i) {
      out.push_back(all[i].as_object());
    }
    return out;
  }

  providers::amount_change change(std::int64_t amount, std::string_view currency = "EUR") {
    providers::amount_change c;
    c.subscription_id = subscription_id;
    c.pledge_id = "pl_client";
    c.amount_minor = amount;
    c.money = *common::find_currency(currency);
    c.every = common::interval::month;
    c.idempotency_key = "supportd-amount-pl_client-" + std::to_string(amount);
    c.traceparent = traceparent;
    return c;
  }

  test::temp_dir dir;
  std::unique_ptr<test::child_process> fake;
  std::string base;
  net::io_context io;
  metrics::registry registry;
  providers::provider_metrics metrics = providers::provider_metrics::create(registry);
  providers::circuit_breaker breaker{5, 30s};
  client_settings settings;
  std::optional<stripe_client> client;
  std::optional<http::outbound_http> peer;
  std::string subscription_id;
  std::string customer_id;
  std::size_t requests_before = 0;
};

TEST_F(StripeClient, ChangesTheAmountChargedFromTheNextRenewalOn) {
  ASSERT_NO_FATAL_FAILURE(subscribe());
  auto done = test::run(io, client->change_amount(change(750)));
  ASSERT_TRUE(done) << done.error().message;

  auto sent = new_requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].at("method"), "GET");
  EXPECT_EQ(sent[0].at("path"), json::value("/v1/subscriptions/" + subscription_id));
  EXPECT_EQ(sent[1].at("method"), "POST");
  EXPECT_EQ(sent[1].at("status"), 200);
  EXPECT_EQ(sent[1].at("idempotency_key"), "supportd-amount-pl_client-750");
  for (const auto& r : sent) {
    EXPECT_EQ(r.at("traceparent"), traceparent);
  }
  const auto& params = sent[1].at("params");
  auto subscription = get_json("/v1/subscriptions/" + subscription_id);
  const auto& item = subscription.at("items").at("data").at(0);
  EXPECT_EQ(params.at("items[0][id]"), item.at("id"));
  EXPECT_EQ(params.at("items[0][price_data][product]"), item.at("price").at("product"));
  EXPECT_EQ(params.at("items[0][price_data][unit_amount]"), "750");
  EXPECT_EQ(params.at("items[0][price_data][currency]"), "eur");
  EXPECT_EQ(params.at("items[0][price_data][recurring][interval]"), "month");
  EXPECT_EQ(params.at("proration_behavior"), "none");
  EXPECT_EQ(item.at("price").at("unit_amount"), 750);

  // What the reader notices: the next renewal charges 7.50, not 5.00.
  auto renewal = renew(subscription_id);
  EXPECT_EQ(renewal.at("amount_paid"), 750);
  EXPECT_EQ(renewal.at("collection_paused"), false);

  // Asking again (a retry after a lost answer) finds the amount made and sends no update.
  requests_before = requests().size();
  ASSERT_TRUE(test::run(io, client->change_amount(change(750))));
  sent = new_requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("method"), "GET");
  EXPECT_EQ(metrics.calls.with({"stripe", "update_subscription_amount", "ok"}).value(), 1u);
  EXPECT_EQ(metrics.calls.with({"stripe", "retrieve_subscription", "ok"}).value(), 2u);
}

TEST_F(StripeClient, AChangeThatDoesNotFitTheSubscriptionIsRefusedBeforeAnythingChanges) {
  ASSERT_NO_FATAL_FAILURE(subscribe());
  auto dollars = test::run(io, client->change_amount(change(750, "USD")));
  ASSERT_FALSE(dollars);
  EXPECT_EQ(dollars.error().what, provider_error::kind::rejected);
  EXPECT_EQ(dollars.error().message, "the subscription bills in eur, the change is in usd");

  auto unknown = change(750);
  unknown.subscription_id = "sub_test_nope";
  auto missing = test::run(io, client->change_amount(unknown));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what, provider_error::kind::rejected);
  EXPECT_EQ(missing.error().message,
            "HTTP 404 type=invalid_request_error code=resource_missing "
            "param=id");

  // An id that would lead the request elsewhere never goes out.
  auto odd = change(750);
  odd.subscription_id = "sub_1/../../v1/customers";
  EXPECT_FALSE(test::run(io, client->change_amount(odd)));

  auto sent = new_requests();
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& r : sent) {
    EXPECT_EQ(r.at("method"), "GET");
  }
  EXPECT_EQ(get_json("/v1/subscriptions/" + subscription_id)
                .at("items")
                .at("data")
                .at(0)
                .at("price")
                .at("unit_amount"),
            500);
}

TEST_F(StripeClient, RetriesAnOutageAndCountsTheRetries) {
  ASSERT_NO_FATAL_FAILURE(subscribe());
  send("POST", "/__control/fail", R"({"count":2,"mode":"status","status":500})");
  ASSERT_TRUE(test::run(io, client->change_amount(change(900))));
  auto sent = new_requests();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0].at("status"), 500);
  EXPECT_EQ(sent[1].at("status"), 500);
  EXPECT_EQ(sent[2].at("method"), "GET");
  EXPECT_EQ(sent[2].at("status"), 200);
  EXPECT_EQ(sent[3].at("method"), "POST");
  EXPECT_EQ(metrics.retries.with({"stripe", "retrieve_subscription"}).value(), 2u);
  EXPECT_EQ(renew(subscription_id).at("amount_paid"), 900);

  // A connection that closes without an answer: the same update again (by outbound_http on a
  // fresh connection when the dropped one was kept alive, else by the retry).
  send("POST", "/__control/fail", R"({"count":1,"mode":"drop"})");
  requests_before = requests().size();
  ASSERT_TRUE(test::run(io, client->pause_collection(subscription_id, 4'000'000'000, "")));
  sent = new_requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].at("status").is_null());
  EXPECT_EQ(sent[1].at("status"), 200);
  EXPECT_EQ(sent[0].at("params"), sent[1].at("params"));
  EXPECT_EQ(get_json("/v1/subscriptions/" + subscription_id).at("pause_collection").at("behavior"),
            "void");
}

TEST_F(StripeClient, PausesCollectionUntilAGivenTimeAndResumesIt) {
  ASSERT_NO_FATAL_FAILURE(subscribe());
  const auto period_end =
      get_json("/v1/subscriptions/" + subscription_id).at("current_period_end").as_int64();
  const auto resumes_at = period_end + 86'400;  // the next renewal falls in the pause
  auto paused = test::run(
      io, client->pause_collection(subscription_id, resumes_at, std::string(traceparent)));
  ASSERT_TRUE(paused) << paused.error().message;
  auto subscription = get_json("/v1/subscriptions/" + subscription_id);
  EXPECT_EQ(subscription.at("pause_collection").at("behavior"), "void");
  EXPECT_EQ(subscription.at("pause_collection").at("resumes_at"), resumes_at);
  EXPECT_EQ(subscription.at("status"), "active");

  // The paused month charges nothing; the one after it does.
  auto skipped = renew(subscription_id);
  EXPECT_EQ(skipped.at("collection_paused"), true);
  EXPECT_EQ(skipped.at("amount_paid"), 0);
  EXPECT_EQ(skipped.at("invoice_status"), "void");
  EXPECT_EQ(renew(subscription_id).at("amount_paid"), 500);

  // Paused again, then resumed at once: the next renewal is charged.
  ASSERT_TRUE(test::run(io, client->pause_collection(subscription_id, resumes_at + 40 * 86'400,
                                                     std::string(traceparent))));
  ASSERT_TRUE(
      test::run(io, client->pause_collection(subscription_id, 0, std::string(traceparent))));
  EXPECT_TRUE(get_json("/v1/subscriptions/" + subscription_id).at("pause_collection").is_null());
  EXPECT_EQ(renew(subscription_id).at("amount_paid"), 500);

  // The test's own GETs are in the log too: the client's requests are the POSTs.
  std::vector<json::object> posts;
  for (auto& r : new_requests()) {
    if (r.at("method") == "POST") {
      posts.push_back(std::move(r));
    }
  }
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[0].at("params").at("pause_collection[behavior]"), "void");
  EXPECT_EQ(posts[0].at("params").at("pause_collection[resumes_at]"),
            json::value(std::to_string(resumes_at)));
  EXPECT_EQ(posts[2].at("params").at("pause_collection"), "");
  EXPECT_EQ(posts[2].at("traceparent"), traceparent);
  EXPECT_EQ(metrics.calls.with({"stripe", "resume_subscription_collection", "ok"}).value(), 1u);
}

TEST_F(StripeClient, OpensTheCardUpdatePageThatLeadsBackToTheReturnUrl) {
  ASSERT_NO_FATAL_FAILURE(subscribe());
  const std::string back = "https://news.example/v1/pledges/pl_client/manage?token=t&done=card";
  auto url =
      test::run(io, client->open_payment_method_page(customer_id, back, std::string(traceparent)));
  ASSERT_TRUE(url) << url.error().message;
  ASSERT_TRUE(url->starts_with(base + "/billing/bps_")) << *url;

  auto sent = new_requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("path"), "/v1/billing_portal/sessions");
  EXPECT_EQ(sent[0].at("params").at("customer"), json::value(customer_id));
  EXPECT_EQ(sent[0].at("params").at("return_url"), json::value(back));
  EXPECT_EQ(sent[0].at("params").at("flow_data[type]"), "payment_method_update");
  EXPECT_EQ(sent[0].at("traceparent"), traceparent);

  // The reader's side: the page names them, "Update card" saves the card and leads back.
  auto path = url->substr(base.size());
  auto page = send("GET", path);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(customer_id), std::string::npos);
  EXPECT_NE(page.body.find("Update card"), std::string::npos);
  auto updated = send("POST", path, "x=1", "application/x-www-form-urlencoded");
  EXPECT_EQ(updated.status, 303);
  EXPECT_EQ(updated.header("Location"), back);
  EXPECT_TRUE(get_json("/__control/portal_sessions").at(0).at("card_updated_at").is_int64());

  auto stranger =
      test::run(io, client->open_payment_method_page("cus_test_nope", back, std::string()));
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().what, provider_error::kind::rejected);
}

}  // namespace
}  // namespace supportd::providers::stripe

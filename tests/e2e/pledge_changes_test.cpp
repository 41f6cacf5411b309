// The reader's changes to a recurring pledge end to end: the real supportd, a real Redis and
// fake-stripe (checkout, its events, the customer it makes). Who may ask and what is refused,
// as a script (JSON) and as the manage page's form would ask. Every answer is held to
// proto/ by the raw client.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <thread>

#include "core/clock.hpp"
#include "e2e/fake_stripe_peer.hpp"
#include "pledges/cancel_links.hpp"
#include "pledges/pledge_links.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto link_secret = "0123456789abcdef0123456789abcdef-links";
constexpr auto public_url = "https://support.test";

class PledgeChanges : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "link-secret") << link_secret << "\n";
    std::ofstream(dir.path() / "webhook-secret") << "whsec_e2e\n";
    std::ofstream(dir.path() / "admin-token") << "admin-token-for-the-changes\n";
    stripe_port = free_port();
    std::vector<std::string> args = {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secret").string(),
        "--webhook-retry-after=1s",
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--link-secret-file=" + (dir.path() / "link-secret").string(),
        "--admin-token-file=" + (dir.path() / "admin-token").string(),
        std::string("--public-url=") + public_url,
        "--allowed-origins=http://shop.test",
    };
    service = std::make_unique<supportd_process>(redis.url(), with_test_rate_limit(args, {}));
    ASSERT_TRUE(service->wait_ready(10s));
    stripe = start_fake_stripe(dir.path(), stripe_port, service->http_port(), "whsec_e2e");
    ASSERT_EQ(listening_port(*stripe), stripe_port);
    client = std::make_unique<raw_client>(service->http_port(), false);
  }

  std::string stripe_api(const std::string& method, const std::string& path,
                         const std::string& body = "") {
    return shell_output(
        "curl -sk -X " + method + " 'https://127.0.0.1:" + std::to_string(stripe_port) + path +
        "' -H 'Authorization: Bearer sk_test_supportd'" +
        (body.empty() ? "" : " -H 'Content-Type: application/json' -d '" + body + "'"));
  }
  std::string redis_cli(const std::string& args) {
    return shell_output("redis-cli -p " + std::to_string(redis.port()) + " " + args);
  }

  struct made_pledge {
    std::string id, token, checkout, subscription;
  };
  // A pledge as the shop's script posts it; paid on fake-stripe's page unless told not to, and
  // then followed until supportd has the payment (active, or paid once).
  made_pledge pledge(const std::string& interval = "month", bool pay = true) {
    const std::string body = R"({"amount":"5","currency":"USD","interval":")" + interval +
                             R"(","email":"reader@example.org","campaign":"winter",)"
                             R"("success_url":"http://shop.test/thanks",)"
                             R"("cancel_url":"http://shop.test/donate"})";
    auto r = post("/v1/pledges", body);
    EXPECT_EQ(status(r), 201) << (r ? r->body : "");
    if (status(r) != 201) {
      return {};
    }
    auto o = json::parse(r->body).as_object();
    made_pledge made{std::string(o.at("id").as_string()),
                     std::string(o.at("manage_token").as_string()),
                     std::string(o.at("checkout_url").as_string()),
                     {}};
    if (!pay) {
      return made;
    }
    shell_output("curl -sk -o /dev/null -X POST '" + made.checkout + "'");
    const auto paid_state = interval == "once" ? "paid\n" : "active\n";
    for (int i = 0; i < 200 && hget(made.id, "status") != paid_state; ++i) {
      std::this_thread::sleep_for(25ms);
    }
    EXPECT_EQ(hget(made.id, "status"), paid_state);
    auto session = json::parse(stripe_api(
        "GET", "/v1/checkout/sessions/" + made.checkout.substr(made.checkout.rfind('/') + 1)));
    if (auto* sub = session.as_object().if_contains("subscription"); sub && sub->is_string()) {
      made.subscription = std::string(sub->as_string());
    }
    return made;
  }
  std::string hget(const std::string& id, const std::string& field) {
    return redis_cli("HGET supportd:pledge:" + id + " " + field);
  }

  std::optional<raw_response> post(const std::string& target, const std::string& body,
                                   const std::string& extra = "",
                                   const std::string& type = "application/json") {
    client->send("POST " + target + " HTTP/1.1\r\nHost: support.test\r\nContent-Type: " + type +
                 "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" +
                 body);
    return client->read_response(20s);
  }
  std::optional<raw_response> post_form(const std::string& target, const std::string& body) {
    return post(target, body, "", "application/x-www-form-urlencoded");
  }
  static std::string bearer(const std::string& token) {
    return "Authorization: Bearer " + token + "\r\n";
  }

  // The signed links' tokens, as supportd makes them with the same secret.
  static std::string token_of(const std::string& url) { return url.substr(url.find("token=") + 6); }
  std::string manage_link_token(const std::string& id) {
    return token_of(links.manage_url(id, core::now_unix_seconds()));
  }
  std::string update_payment_token(const std::string& id) {
    return token_of(links.update_payment_url(id, core::now_unix_seconds()));
  }

  temp_dir dir;
  redis_server redis;
  std::unique_ptr<child_process> stripe;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<raw_client> client;
  pledges::pledge_links links{link_secret, public_url, ""};
};

TEST_F(PledgeChanges, ThePaidCheckoutsCustomerIsKeptForTheCardPage) {
  auto p = pledge();
  EXPECT_TRUE(hget(p.id, "customer_id").starts_with("cus_test_")) << hget(p.id, "customer_id");
  auto shown = client->get("/v1/pledges/" + p.id, bearer(p.token));
  ASSERT_EQ(status(shown), 200);
  EXPECT_TRUE(json::parse(shown->body).at("paused_until").is_null());
}

TEST_F(PledgeChanges, AWrongTokenGetsTheSameAnswerAsAnUnknownPledge) {
  auto p = pledge();
  const std::string unknown = "/v1/pledges/pl_AAAAAAAAAAAAAAAA";
  const std::string mine = "/v1/pledges/" + p.id;
  const auto not_found = post(unknown + "/amount?token=" + manage_link_token("pl_AAAAAAAAAAAAAAAA"),
                              R"({"amount":"7"})");
  ASSERT_EQ(status(not_found), 404);
  // Another pledge's link, a link made for another purpose, a made-up one, another pledge's
  // manage token, nothing at all: each answered as the unknown pledge is, body and all.
  const pledges::cancel_links cancel{link_secret, public_url};
  const std::vector<std::pair<std::string, std::string>> wrong = {
      {"/amount?token=" + manage_link_token("pl_someoneelse0000"), ""},
      {"/amount?token=" + token_of(cancel.link_for(p.id, core::now_unix_seconds())), ""},
      {"/amount?token=" + update_payment_token(p.id), ""},
      {"/pause?token=" + update_payment_token(p.id), ""},
      {"/resume?token=1999999999.bm90LWEtc2lnbmF0dXJl", ""},
      {"/amount", bearer("mt_" + std::string(32, 'x'))},
      {"/payment-method", ""},
  };
  for (const auto& [path, extra] : wrong) {
    auto r = post(mine + path, R"({"amount":"7","months":1})", extra);
    EXPECT_EQ(status(r), 404) << path;
    if (r) {
      EXPECT_EQ(r->body, not_found->body) << path;
    }
  }
  EXPECT_EQ(hget(p.id, "amount_minor"), "500\n");
}

TEST_F(PledgeChanges, AOneTimeGiftHasNothingToChange) {
  auto p = pledge("once");
  for (const auto* change : {"/amount", "/pause", "/resume", "/payment-method"}) {
    auto r = post("/v1/pledges/" + p.id + change, R"({"amount":"7","months":1})", bearer(p.token));
    ASSERT_EQ(status(r), 409) << change;
    auto problem = json::parse(r->body);
    EXPECT_EQ(problem.at("code"), "not_recurring") << change;
    EXPECT_EQ(r->header("content-type"), "application/problem+json");
  }
  auto unpaid = pledge("month", false);
  auto r = post("/v1/pledges/" + unpaid.id + "/amount", R"({"amount":"7"})", bearer(unpaid.token));
  ASSERT_EQ(status(r), 409);
  EXPECT_EQ(json::parse(r->body).at("code"), "pledge_not_started");
}

TEST_F(PledgeChanges, AnAmountOutsideTheLimitsIsRefusedAsANewPledgeIs) {
  auto p = pledge();
  auto small = post("/v1/pledges/" + p.id + "/amount", R"({"amount":"1.50"})", bearer(p.token));
  ASSERT_EQ(status(small), 422);
  const auto errors = json::parse(small->body).at("errors").as_array();
  ASSERT_EQ(errors.size(), 1u);
  // The very error a new monthly pledge of 1.50 USD gets.
  auto fresh =
      post("/v1/pledges", R"({"amount":"1.50","currency":"USD","interval":"month",)"
                          R"("email":"reader@example.org","success_url":"http://shop.test/thanks",)"
                          R"("cancel_url":"http://shop.test/donate"})");
  ASSERT_EQ(status(fresh), 422);
  EXPECT_EQ(errors[0], json::parse(fresh->body).at("errors").as_array()[0]);
  EXPECT_EQ(errors[0].at("code"), "too_small");

  auto large = post("/v1/pledges/" + p.id + "/amount", R"({"amount_minor":1000001})",
                    bearer("admin-token-for-the-changes"));
  ASSERT_EQ(status(large), 422);
  EXPECT_EQ(json::parse(large->body).at("errors").as_array()[0].at("field"), "amount_minor");
  // The manage page's form goes back to the page, which says why nothing changed.
  const auto link = manage_link_token(p.id);
  for (const auto* amount : {"abc", "1.50"}) {
    auto form = post_form("/v1/pledges/" + p.id + "/amount",
                          std::string("amount=") + amount + "&token=" + link);
    ASSERT_EQ(status(form), 303) << amount;
    EXPECT_EQ(form->header("location"),
              "/v1/pledges/" + p.id + "/manage?token=" + link + "&done=amount_refused");
    EXPECT_EQ(form->header("cache-control"), "no-store");
  }
  EXPECT_EQ(hget(p.id, "amount_minor"), "500\n");
}

TEST_F(PledgeChanges, APauseIsOneToThreeMonths) {
  auto p = pledge();
  for (const auto* months : {R"({"months":4})", R"({"months":0})", R"({})", R"({"months":"x"})"}) {
    auto r = post("/v1/pledges/" + p.id + "/pause", months, bearer(p.token));
    ASSERT_EQ(status(r), 422) << months;
    EXPECT_EQ(json::parse(r->body).at("errors").as_array()[0].at("field"), "months");
  }
  const auto link = manage_link_token(p.id);
  auto form = post_form("/v1/pledges/" + p.id + "/pause", "months=4&token=" + link);
  EXPECT_EQ(status(form), 303);
  EXPECT_EQ(form->header("location"),
            "/v1/pledges/" + p.id + "/manage?token=" + link + "&done=not_changed");
  EXPECT_EQ(hget(p.id, "paused_until_ms"), "\n");
}

TEST_F(PledgeChanges, TheManagePagesFormGoesBackToThePageSayingWhatWasDone) {
  auto p = pledge();
  const auto token = manage_link_token(p.id);
  // The amount the pledge has: done, without asking Stripe.
  auto same = post_form("/v1/pledges/" + p.id + "/amount", "amount=5.00&token=" + token);
  ASSERT_EQ(status(same), 303) << (same ? same->body : "");
  EXPECT_EQ(same->header("location"),
            "/v1/pledges/" + p.id + "/manage?token=" + token + "&done=amount_changed");
  // The token may come in the query instead.
  auto in_query = post("/v1/pledges/" + p.id + "/amount?token=" + token, "amount_minor=500", "",
                       "application/x-www-form-urlencoded");
  ASSERT_EQ(status(in_query), 303);
  // As JSON: the pledge, unchanged.
  auto as_json =
      post("/v1/pledges/" + p.id + "/amount", R"({"amount_minor":500})", bearer(p.token));
  ASSERT_EQ(status(as_json), 200);
  auto shown = json::parse(as_json->body);
  EXPECT_EQ(shown.at("amount_minor"), 500);
  EXPECT_EQ(shown.at("id"), p.id.c_str());

  // Cancelling from the manage page: Stripe ends the subscription, the page says so.
  auto canceled = post_form("/v1/pledges/" + p.id + "/cancel", "token=" + token);
  ASSERT_EQ(status(canceled), 303) << (canceled ? canceled->body : "");
  EXPECT_EQ(canceled->header("location"),
            "/v1/pledges/" + p.id + "/manage?token=" + token + "&done=canceled");
  EXPECT_EQ(hget(p.id, "status"), "canceled\n");
  // A change the ended pledge no longer allows: back to the page, which says nothing changed;
  // a script gets the problem.
  auto ended = post_form("/v1/pledges/" + p.id + "/pause", "months=1&token=" + token);
  ASSERT_EQ(status(ended), 303);
  EXPECT_EQ(ended->header("location"),
            "/v1/pledges/" + p.id + "/manage?token=" + token + "&done=not_changed");
  auto ended_json = post("/v1/pledges/" + p.id + "/pause", R"({"months":1})", bearer(p.token));
  ASSERT_EQ(status(ended_json), 409);
  EXPECT_EQ(json::parse(ended_json->body).at("code"), "pledge_ended");
}

TEST_F(PledgeChanges, TheCardUpdateLinksPageAsksBeforeOpeningAnything) {
  auto p = pledge();
  const auto token = update_payment_token(p.id);
  auto page = client->get("/v1/pledges/" + p.id + "/payment-method?token=" + token);
  ASSERT_EQ(status(page), 200);
  // Its form posts the token back, to the same address.
  EXPECT_NE(page->body.find(R"(<form method="post"><input type="hidden" name="token" value=")" +
                            token + "\">"),
            std::string::npos);
  EXPECT_EQ(page->header("cache-control"), "no-store");
  // Nothing was asked of Stripe by showing it.
  EXPECT_EQ(stripe_api("GET", "/__control/requests").find("billing_portal"), std::string::npos);
  auto wrong = client->get("/v1/pledges/" + p.id + "/payment-method?token=1999999999.eA");
  EXPECT_EQ(status(wrong), 403);
}

TEST_F(PledgeChanges, ABodyThatIsNeitherJsonNorAFormIsRefused) {
  auto p = pledge();
  auto r = post("/v1/pledges/" + p.id + "/pause", "months=1", bearer(p.token), "text/plain");
  EXPECT_EQ(status(r), 415);
  auto card =
      post("/v1/pledges/" + p.id + "/amount", R"({"amount":"4242424242424242"})", bearer(p.token));
  ASSERT_EQ(status(card), 422);
  EXPECT_EQ(json::parse(card->body).at("errors").as_array()[0].at("code"), "card_number");
}

// The success paths below need Stripe's side of the changes (service/providers/stripe's
// subscription update, pause_collection and Billing Portal session, and fake-stripe's model of
// them): they are written against the contract (Stripe's API as fake-stripe speaks it) and
// pass once that lands.

// fake-stripe's requests to `path` by method, newest last.
std::vector<json::object> requests_to(const std::string& all, const std::string& method,
                                      const std::string& path) {
  std::vector<json::object> found;
  const auto parsed = json::parse(all);
  for (const auto& r : parsed.as_array()) {
    if (r.at("method") == method.c_str() && r.at("path") == path.c_str()) {
      found.push_back(r.as_object());
    }
  }
  return found;
}

std::string param(const json::object& request, const std::string& name) {
  const auto* value = request.at("params").as_object().if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

TEST_F(PledgeChanges, ANewAmountIsChargedFromTheNextRenewal) {
  auto p = pledge();
  auto changed = post("/v1/pledges/" + p.id + "/amount", R"({"amount":"7.50"})", bearer(p.token));
  ASSERT_EQ(status(changed), 200) << (changed ? changed->body : "");
  auto shown = json::parse(changed->body).as_object();
  EXPECT_EQ(shown.at("amount_minor"), 750);
  const auto& history = shown.at("events").as_array();  // Stripe's update event may follow
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const json::value& e) { return e.at("event") == "amount_changed"; }),
            1);
  // Sent again (a double click): done, and Stripe is not asked twice.
  auto again = post("/v1/pledges/" + p.id + "/amount", R"({"amount_minor":750})", bearer(p.token));
  ASSERT_EQ(status(again), 200);

  // Stripe was asked once: the subscription's item gets the new price, no proration.
  auto updates = requests_to(stripe_api("GET", "/__control/requests"), "POST",
                             "/v1/subscriptions/" + p.subscription);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(param(updates[0], "items[0][price_data][unit_amount]"), "750");
  EXPECT_EQ(param(updates[0], "items[0][price_data][currency]"), "usd");
  EXPECT_EQ(param(updates[0], "items[0][price_data][recurring][interval]"), "month");
  EXPECT_EQ(param(updates[0], "proration_behavior"), "none");
  EXPECT_EQ(updates[0].at("idempotency_key"), ("pledge-amount-" + p.id + "-0-750").c_str());

  // The MRR follows at once.
  auto summary = client->get("/admin/summary", bearer("admin-token-for-the-changes"));
  ASSERT_EQ(status(summary), 200);
  EXPECT_EQ(json::parse(summary->body).at("pledges").at("mrr_minor").at("USD"), 750);

  // The next renewal charges 7.50.
  stripe_api("POST", "/__control/events",
             R"({"type":"invoice.paid","subscription":")" + p.subscription + R"("})");
  for (int i = 0; i < 200 && hget(p.id, "charges_succeeded") != "2\n"; ++i) {
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_EQ(hget(p.id, "charges_succeeded"), "2\n");
  EXPECT_EQ(hget(p.id, "total_given_minor"), "1250\n");
  // Stripe's customer.subscription.updated for the change came meanwhile: nothing undone.
  EXPECT_EQ(hget(p.id, "amount_minor"), "750\n");
}

TEST_F(PledgeChanges, APausedMonthIsNotCharged) {
  auto p = pledge();
  const auto token = manage_link_token(p.id);
  auto paused = post_form("/v1/pledges/" + p.id + "/pause", "months=1&token=" + token);
  ASSERT_EQ(status(paused), 303) << (paused ? paused->body : "");
  EXPECT_EQ(paused->header("location"),
            "/v1/pledges/" + p.id + "/manage?token=" + token + "&done=paused");

  auto shown = client->get("/v1/pledges/" + p.id, bearer(p.token));
  ASSERT_EQ(status(shown), 200);
  auto pledge_now = json::parse(shown->body).as_object();
  ASSERT_TRUE(pledge_now.at("paused_until").is_string());
  // In the history (Stripe's customer.subscription.updated for it may already follow it).
  const auto& history = pledge_now.at("events").as_array();
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const json::value& e) { return e.at("event") == "paused"; }),
            1);
  const auto until_ms = std::stoll(hget(p.id, "paused_until_ms"));
  const auto next_ms = std::stoll(hget(p.id, "next_charge_at_ms"));
  EXPECT_GT(until_ms, next_ms);  // the next renewal is inside the pause

  // Stripe's subscription is paused until then, its invoices voided.
  auto subscription = json::parse(stripe_api("GET", "/v1/subscriptions/" + p.subscription));
  const auto& pause = subscription.at("pause_collection");
  ASSERT_TRUE(pause.is_object()) << json::serialize(subscription);
  EXPECT_EQ(pause.at("behavior"), "void");
  EXPECT_EQ(pause.at("resumes_at").to_number<std::int64_t>(), until_ms / 1000);

  // The month's renewal falls inside the pause: nothing is charged.
  stripe_api("POST", "/__control/events",
             R"({"type":"invoice.paid","subscription":")" + p.subscription + R"("})");
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(hget(p.id, "charges_succeeded"), "1\n");
  EXPECT_EQ(hget(p.id, "total_given_minor"), "500\n");
  // Stripe's customer.subscription.updated for the pause came meanwhile: nothing undone.
  EXPECT_EQ(hget(p.id, "paused_until_ms"), std::to_string(until_ms) + "\n");
  EXPECT_EQ(hget(p.id, "status"), "active\n");

  // Resumed: the next renewal is charged again.
  auto resumed = post("/v1/pledges/" + p.id + "/resume", "", bearer(p.token));
  ASSERT_EQ(status(resumed), 200) << (resumed ? resumed->body : "");
  EXPECT_TRUE(json::parse(resumed->body).at("paused_until").is_null());
  subscription = json::parse(stripe_api("GET", "/v1/subscriptions/" + p.subscription));
  EXPECT_TRUE(subscription.at("pause_collection").is_null());
  stripe_api("POST", "/__control/events",
             R"({"type":"invoice.paid","subscription":")" + p.subscription + R"("})");
  for (int i = 0; i < 200 && hget(p.id, "charges_succeeded") != "2\n"; ++i) {
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_EQ(hget(p.id, "charges_succeeded"), "2\n");
}

TEST_F(PledgeChanges, TheCardUpdateLinkOpensStripesPortalForThePledgesCustomer) {
  auto p = pledge();
  const auto customer = hget(p.id, "customer_id");
  auto sent_on =
      post_form("/v1/pledges/" + p.id + "/payment-method", "token=" + update_payment_token(p.id));
  ASSERT_EQ(status(sent_on), 303) << (sent_on ? sent_on->body : "");
  const auto portal = sent_on->header("location");
  EXPECT_TRUE(portal.starts_with("https://127.0.0.1:" + std::to_string(stripe_port))) << portal;
  EXPECT_EQ(sent_on->header("cache-control"), "no-store");

  auto sessions =
      requests_to(stripe_api("GET", "/__control/requests"), "POST", "/v1/billing_portal/sessions");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(param(sessions[0], "customer") + "\n", customer);
  EXPECT_TRUE(param(sessions[0], "return_url")
                  .starts_with(std::string(public_url) + "/v1/pledges/" + p.id + "/manage?token="));
  // The portal's page is there for the reader.
  EXPECT_EQ(shell_output("curl -sk -o /dev/null -w '%{http_code}' '" + portal + "'"), "200");

  // A script gets the URL instead.
  auto as_json = post("/v1/pledges/" + p.id + "/payment-method", "", bearer(p.token));
  ASSERT_EQ(status(as_json), 200);
  EXPECT_TRUE(std::string(json::parse(as_json->body).at("url").as_string())
                  .starts_with("https://127.0.0.1:"));
}

}  // namespace
}  // namespace supportd::test

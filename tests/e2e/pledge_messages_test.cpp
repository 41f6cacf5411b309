// The reader's messages end to end: the real supportd, a real Redis, fake-stripe sending signed
// events (a repeated one included) and the stand-in email service, which holds every delivery
// to proto/events/ as it arrives. A monthly pledge is paid, a renewal fails, the next is paid,
// the subscription ends: the reader hears of each once.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <thread>

#include "core/clock.hpp"
#include "e2e/fake_stripe_peer.hpp"
#include "support/email_service.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class PledgeMessages : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "link-secret") << "0123456789abcdef0123456789abcdef-links\n";
    std::ofstream(dir.path() / "webhook-secret") << "whsec_e2e\n";
    std::ofstream(dir.path() / "admin-token") << "admin-token-for-the-messages\n";
    std::ofstream(dir.path() / "data-keys") << "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
    std::ofstream(dir.path() / "notify-secret")
        << "whsec_a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n";
    stripe_port = free_port();
    std::vector<std::string> args = {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secret").string(),
        "--webhook-retry-after=1s",
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--link-secret-file=" + (dir.path() / "link-secret").string(),
        "--data-key-file=" + (dir.path() / "data-keys").string(),
        "--admin-token-file=" + (dir.path() / "admin-token").string(),
        "--notify-url=" + email.url(),
        "--notify-secret-file=" + (dir.path() / "notify-secret").string(),
        "--reminder-poll=100ms",
        "--public-url=https://support.test",
        "--give-url=http://shop.test/give",
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

  struct made_pledge {
    std::string id, token, checkout;
  };
  made_pledge pledge(const std::string& email, const std::string& interval = "month") {
    const std::string body = R"({"amount":"5","currency":"USD","interval":")" + interval +
                             R"(","email":")" + email +
                             R"(","name":"Ada Reader","campaign":"winter","locale":"en-GB",)"
                             R"("success_url":"http://shop.test/thanks",)"
                             R"("cancel_url":"http://shop.test/donate"})";
    auto r = post("/v1/pledges", body);
    EXPECT_EQ(status(r), 201) << (r ? r->body : "");
    if (status(r) != 201) {
      return {};
    }
    auto o = json::parse(r->body).as_object();
    return {std::string(o.at("id").as_string()), std::string(o.at("manage_token").as_string()),
            std::string(o.at("checkout_url").as_string())};
  }
  std::optional<raw_response> post(const std::string& path, const std::string& body,
                                   const std::string& extra = "") {
    client->send("POST " + path +
                 " HTTP/1.1\r\nHost: support.test\r\nContent-Type: application/json\r\n"
                 "Content-Length: " +
                 std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
    return client->read_response(20s);
  }

  // The n-th delivery's type and data.
  std::pair<std::string, json::object> message(std::size_t n) {
    auto body = email.delivery(n, 10s);
    if (!body) {
      ADD_FAILURE() << "no delivery " << n;
      return {};
    }
    return {std::string(body->at("type").as_string()), body->at("data").as_object()};
  }

  temp_dir dir;
  redis_server redis;
  email_service email;
  std::unique_ptr<child_process> stripe;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<raw_client> client;
};

TEST_F(PledgeMessages, TheReaderHearsOfEachPaymentFailureAndTheEndOnce) {
  const std::string body =
      R"({"amount":"5","currency":"USD","interval":"month","email":"Reader@Example.org",)"
      R"("name":"Ada Reader","campaign":"winter","locale":"en-GB",)"
      R"("success_url":"http://shop.test/thanks","cancel_url":"http://shop.test/donate"})";
  client->send(
      "POST /v1/pledges HTTP/1.1\r\nHost: support.test\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto created = client->read_response(20s);
  ASSERT_EQ(status(created), 201) << (created ? created->body : "");
  const auto answer = json::parse(created->body).as_object();
  const std::string id(answer.at("id").as_string());
  const std::string checkout(answer.at("checkout_url").as_string());
  shell_output("curl -sk -o /dev/null -X POST '" + checkout + "'");

  // Paid: thanked, at the address the reader gave, with the manage link.
  auto [type, data] = message(1);
  EXPECT_EQ(type, "pledge.thank_you");
  EXPECT_EQ(data.at("pledge_id"), id.c_str());
  EXPECT_EQ(data.at("email"), "reader@example.org");
  EXPECT_EQ(data.at("name"), "Ada Reader");
  EXPECT_EQ(data.at("amount_minor"), 500);
  EXPECT_EQ(data.at("charged_minor"), 500);
  EXPECT_TRUE(std::string(data.at("manage_url").as_string())
                  .starts_with("https://support.test/v1/pledges/" + id + "/manage?token="));

  // A renewal fails; Stripe sends the event twice: one message, with the card update link.
  auto session = json::parse(
      stripe_api("GET", "/v1/checkout/sessions/" + checkout.substr(checkout.rfind('/') + 1)));
  const std::string subscription(session.at("subscription").as_string());
  auto failed = json::parse(
      stripe_api("POST", "/__control/events",
                 R"({"type":"invoice.payment_failed","subscription":")" + subscription + R"("})"));
  std::tie(type, data) = message(2);
  EXPECT_EQ(type, "pledge.payment_failed");
  EXPECT_EQ(data.at("attempt_count"), 1);
  EXPECT_TRUE(std::string(data.at("update_payment_url").as_string())
                  .starts_with("https://support.test/v1/pledges/" + id + "/payment-method?token="));
  stripe_api("POST", "/__control/redeliver",
             R"({"id":")" + std::string(failed.at("id").as_string()) + R"("})");

  // The retry is paid: a receipt (and no second message for the failure).
  stripe_api("POST", "/__control/events",
             R"({"type":"invoice.paid","subscription":")" + subscription + R"("})");
  std::tie(type, data) = message(3);
  EXPECT_EQ(type, "pledge.payment_succeeded");
  EXPECT_EQ(data.at("charged_minor"), 500);

  // Stripe sends the first events again, late and out of order (their retries can come days
  // after newer events): no second thank-you, no second receipt.
  for (const auto* first : {"checkout.session.completed", "invoice.paid"}) {
    auto listed =
        json::parse(stripe_api("GET", std::string("/v1/events?type=") + first + "&limit=100"));
    const auto& events = listed.at("data").as_array();
    ASSERT_FALSE(events.empty()) << first;
    stripe_api("POST", "/__control/redeliver",
               R"({"id":")" + std::string(events.back().at("id").as_string()) + R"("})");
  }

  // The provider ends it: the reader is told, with a way to start again.
  stripe_api(
      "POST", "/__control/events",
      R"({"type":"customer.subscription.deleted","subscription":")" + subscription + R"("})");
  std::tie(type, data) = message(4);
  EXPECT_EQ(type, "pledge.canceled");
  EXPECT_EQ(data.at("canceled_by"), "provider");
  EXPECT_EQ(data.at("restart_url"),
            "http://shop.test/give?source=pledge_restart&amount_minor=500&currency=USD"
            "&interval=month&campaign=winter");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(email.deliveries(), 4u);
}

TEST_F(PledgeMessages, AReaderWhoCancelsIsToldOnceAndAPledgeNeverPaidEndsSilently) {
  auto never_paid = pledge("someone@example.org");
  auto canceled = post("/v1/pledges/" + never_paid.id + "/cancel", "{}",
                       "Authorization: Bearer " + never_paid.token + "\r\n");
  ASSERT_EQ(status(canceled), 200) << (canceled ? canceled->body : "");

  auto giving = pledge("reader@example.org");
  shell_output("curl -sk -o /dev/null -X POST '" + giving.checkout + "'");
  auto [type, data] = message(1);
  ASSERT_EQ(type, "pledge.thank_you");
  EXPECT_EQ(data.at("pledge_id"), giving.id.c_str());
  // The reader cancels; Stripe then reports the subscription deleted: one message, theirs.
  canceled = post("/v1/pledges/" + giving.id + "/cancel", "{}",
                  "Authorization: Bearer " + giving.token + "\r\n");
  ASSERT_EQ(status(canceled), 200) << (canceled ? canceled->body : "");
  std::tie(type, data) = message(2);
  EXPECT_EQ(type, "pledge.canceled");
  EXPECT_EQ(data.at("pledge_id"), giving.id.c_str());
  EXPECT_EQ(data.at("canceled_by"), "reader");
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(email.deliveries(), 2u);
}

TEST_F(PledgeMessages, AnErasedReaderGetsNothingMoreAndNoSealedAddressIsLeft) {
  auto giving = pledge("reader@example.org");
  shell_output("curl -sk -o /dev/null -X POST '" + giving.checkout + "'");
  ASSERT_EQ(message(1).first, "pledge.thank_you");

  auto erased = post("/admin/erasure", R"({"email":" Reader@Example.org "})",
                     "Authorization: Bearer admin-token-for-the-messages\r\n");
  ASSERT_EQ(status(erased), 200) << (erased ? erased->body : "");
  EXPECT_EQ(json::parse(erased->body).at("pledges_erased"), 1);
  const auto pledge_key = "supportd:pledge:" + giving.id;
  auto redis_cli = [&](const std::string& args) {
    return shell_output("redis-cli -p " + std::to_string(redis.port()) + " " + args);
  };
  EXPECT_EQ(redis_cli("HEXISTS " + pledge_key + " sealed_email"), "0\n");
  EXPECT_EQ(redis_cli("HEXISTS " + pledge_key + " sealed_name"), "0\n");
  EXPECT_EQ(redis_cli("HGET " + pledge_key + " total_given_minor"), "500\n");  // accounting stays

  // A renewal fails: the pledge follows, the reader hears nothing.
  auto session = json::parse(stripe_api(
      "GET", "/v1/checkout/sessions/" + giving.checkout.substr(giving.checkout.rfind('/') + 1)));
  stripe_api("POST", "/__control/events",
             R"({"type":"invoice.payment_failed","subscription":")" +
                 std::string(session.at("subscription").as_string()) + R"("})");
  for (int i = 0; i < 100 && redis_cli("HGET " + pledge_key + " status") != "past_due\n"; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(redis_cli("HGET " + pledge_key + " status"), "past_due\n");
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(email.deliveries(), 1u);
}

TEST_F(PledgeMessages, AYearlyReaderHearsOfTheRenewalFourteenDaysBefore) {
  auto giving = pledge("reader@example.org", "year");
  shell_output("curl -sk -o /dev/null -X POST '" + giving.checkout + "'");
  ASSERT_EQ(message(1).first, "pledge.thank_you");
  // The paid year ends when the first invoice's line says; the notice is queued for 14 days
  // (--renewal-notice-days' default) before.
  auto events = json::parse(stripe_api("GET", "/v1/events?type=invoice.paid&limit=1"));
  const auto& invoice = events.at("data").at(0).at("data").at("object");
  const auto renews_at = invoice.at("lines").at("data").at(0).at("period").at("end").as_int64();
  EXPECT_GT(renews_at, std::time(nullptr) + 364 * 86'400);
  const auto id = "pm_" + giving.id + "_renewal_upcoming_" + std::to_string(renews_at);
  const auto redis_cli = "redis-cli -p " + std::to_string(redis.port()) + " ";
  EXPECT_EQ(shell_output(redis_cli + "ZSCORE supportd:msg:due " + id),
            std::to_string((renews_at - 14 * 86'400) * 1000) + "\n");
  EXPECT_FALSE(email.delivery(2, 500ms)) << "sent 351 days early";

  // 351 days pass: the message is due now.
  shell_output(redis_cli + "ZADD supportd:msg:due XX 1 " + id);
  auto [type, data] = message(2);
  EXPECT_EQ(type, "pledge.renewal_upcoming");
  EXPECT_EQ(data.at("pledge_id"), giving.id.c_str());
  EXPECT_EQ(data.at("email"), "reader@example.org");
  EXPECT_EQ(data.at("interval"), "year");
  EXPECT_EQ(data.at("charged_minor"), 500);
  EXPECT_EQ(data.at("renews_at"), core::format_rfc3339(renews_at).c_str());
  EXPECT_TRUE(data.at("manage_url")
                  .as_string()
                  .starts_with(
                      ("https://support.test/v1/pledges/" + giving.id + "/manage?token=").c_str()));
  EXPECT_FALSE(email.delivery(3, 500ms)) << "sent twice";
}

TEST_F(PledgeMessages, AMessageTheEmailServiceRefusedIsReplayedByAnAdmin) {
  email.answer_with(410);
  auto giving = pledge("reader@example.org");
  shell_output("curl -sk -o /dev/null -X POST '" + giving.checkout + "'");
  ASSERT_EQ(message(1).first, "pledge.thank_you");
  const auto id = "pm_" + giving.id + "_thank_you_1";
  std::string dead;
  for (int i = 0; i < 100 && dead.find(id) == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
    dead = shell_output("redis-cli -p " + std::to_string(redis.port()) +
                        " ZRANGE supportd:msg:dead 0 -1");
  }
  ASSERT_NE(dead.find(id), std::string::npos) << dead;  // 410: dead at once, not retried

  const std::string admin = "Authorization: Bearer admin-token-for-the-messages\r\n";
  auto listed = client->get("/admin/messages/dead-letters", admin);
  ASSERT_EQ(status(listed), 200);
  auto letters = json::parse(listed->body).as_array();
  ASSERT_EQ(letters.size(), 1u) << listed->body;
  EXPECT_EQ(letters[0].at("id"), id.c_str());
  EXPECT_EQ(letters[0].at("pledge_id"), giving.id.c_str());
  EXPECT_EQ(letters[0].at("failed_attempts"), 1);  // the one that got 410
  EXPECT_EQ(letters[0].at("last_error"), "410 Gone");
  EXPECT_EQ(listed->body.find("reader@example.org"), std::string::npos);
  // The sender reads the queue's sizes into its gauges about once a second.
  std::string metrics;
  for (int i = 0; i < 60; ++i) {
    metrics = client->get("/metrics")->body;
    if (metrics.find("supportd_message_dead_letters 1\n") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(metrics.find("supportd_message_dead_letters 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(supportd_message_deliveries_total{outcome="gone"} 1)"),
            std::string::npos);

  email.answer_with(204);
  auto unknown = post("/admin/messages/dead-letters/rem_x_1/replay", "", admin);
  EXPECT_EQ(status(unknown), 404);
  auto replayed = post("/admin/messages/dead-letters/" + id + "/replay", "", admin);
  ASSERT_EQ(status(replayed), 202) << (replayed ? replayed->body : "");
  auto [type, data] = message(2);
  EXPECT_EQ(type, "pledge.thank_you");
  EXPECT_EQ(data.at("pledge_id"), giving.id.c_str());
  auto again = post("/admin/messages/dead-letters/" + id + "/replay", "", admin);
  EXPECT_EQ(status(again), 404);  // delivered: no dead letter any more
  EXPECT_EQ(client->get("/admin/messages/dead-letters", admin)->body, "[]");
}

}  // namespace
}  // namespace supportd::test

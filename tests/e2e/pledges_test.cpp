// Pledges end to end: the real supportd, a real Redis, and fake-stripe speaking Stripe's API
// over TLS, talked to as a checkout form and a script would.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "e2e/fake_stripe_peer.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"
#include "webhooks/stripe_signature.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto shop = "http://shop.test";

class Pledges : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "link-secret") << "0123456789abcdef0123456789abcdef-links\n";
    // Two active webhook secrets, as during a rotation; fake-stripe signs with the second.
    std::ofstream(dir.path() / "webhook-secrets") << "whsec_old_one\nwhsec_e2e\n";
    stripe_port = free_port();
  }

  // supportd first (fake-stripe needs its address for webhooks), then fake-stripe on the port
  // supportd was told about.
  void start(std::vector<std::string> extra = {}) {
    start_supportd(std::move(extra));
    stripe = start_fake_stripe(dir.path(), stripe_port, service->http_port(), "whsec_e2e");
    ASSERT_EQ(listening_port(*stripe), stripe_port);
  }

  void start_supportd(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secrets").string(),
        "--webhook-retry-after=1s",
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--link-secret-file=" + (dir.path() / "link-secret").string(),
        "--public-url=https://support.test",
        std::string("--allowed-origins=") + shop,
        "--pledge-error-url=http://shop.test/donate?form=1",
        // The shop's form lets readers pick these; other methods are Checkout's to offer.
        "--stripe-payment-methods=card,paypal",
    };
    service = std::make_unique<supportd_process>(redis.url(), with_test_rate_limit(args, extra));
    ASSERT_TRUE(service->wait_ready(10s));
  }

  // A request to fake-stripe's control API (plain curl, as a tester would).
  std::string stripe_control(const std::string& method, const std::string& path,
                             const std::string& body = "") {
    return shell_output(
        "curl -sk -X " + method + " https://127.0.0.1:" + std::to_string(stripe_port) + path +
        (body.empty() ? "" : " -H 'Content-Type: application/json' -d '" + body + "'"));
  }

  std::size_t sessions_created() {
    auto requests = json::parse(stripe_control("GET", "/__control/requests")).as_array();
    std::size_t n = 0;
    for (const auto& r : requests) {
      n += r.at("method") == "POST" && r.at("path") == "/v1/checkout/sessions";
    }
    return n;
  }

  std::string redis_keys() {
    return shell_output("redis-cli -p " + std::to_string(redis.port()) + " --no-raw KEYS '*'");
  }
  std::string redis_dump() {
    return shell_output("for k in $(redis-cli -p " + std::to_string(redis.port()) +
                        " KEYS '*'); do redis-cli -p " + std::to_string(redis.port()) +
                        " DUMP \"$k\"; redis-cli -p " + std::to_string(redis.port()) +
                        " HGETALL \"$k\" 2>/dev/null; done");
  }

  static std::optional<raw_response> post(raw_client& c, const std::string& content_type,
                                          const std::string& body, const std::string& extra) {
    c.send("POST /v1/pledges HTTP/1.1\r\nHost: support.test\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
    return c.read_response(20s);
  }
  static std::optional<raw_response> post_json(raw_client& c, const std::string& body,
                                               const std::string& extra = "") {
    return post(c, "application/json", body, extra);
  }
  static std::optional<raw_response> post_form(raw_client& c, const std::string& body,
                                               const std::string& extra = "") {
    return post(c, "application/x-www-form-urlencoded", body, extra);
  }

  static std::string pledge_json(const std::string& amount = "5",
                                 const std::string& interval = "month") {
    return R"({"amount":")" + amount + R"(","currency":"USD","interval":")" + interval +
           R"(","email":"Reader@Example.org","campaign":"winter","component":"banner",)"
           R"("success_url":"http://shop.test/thanks","cancel_url":"http://shop.test/donate"})";
  }

  temp_dir dir;
  redis_server redis;
  std::unique_ptr<child_process> stripe;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
};

TEST_F(Pledges, JsonPledgeGoesToCheckoutAndIsTracked) {
  start();
  raw_client client(service->http_port(), false);
  auto created = post_json(client, pledge_json());
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto body = json::parse(created->body).as_object();
  const std::string id(body.at("id").as_string());
  const std::string token(body.at("manage_token").as_string());
  EXPECT_EQ(body.at("status"), "pending");
  EXPECT_EQ(body.at("amount_minor").as_int64(), 500);
  EXPECT_TRUE(std::string(body.at("checkout_url").as_string()).find("/pay/cs_test_") !=
              std::string::npos);
  EXPECT_TRUE(std::string(body.at("cancel_link").as_string())
                  .starts_with("https://support.test/v1/pledges/" + id + "/cancel?token="));

  // What Stripe received: one subscription session carrying the pledge id and the amount.
  auto requests = json::parse(stripe_control("GET", "/__control/requests")).as_array();
  ASSERT_EQ(requests.size(), 1u);
  const auto& params = requests[0].at("params").as_object();
  EXPECT_EQ(params.at("mode"), "subscription");
  EXPECT_EQ(params.at("line_items[0][price_data][unit_amount]"), "500");
  EXPECT_EQ(params.at("line_items[0][price_data][recurring][interval]"), "month");
  EXPECT_EQ(params.at("subscription_data[metadata][pledge_id]").as_string(), id);
  EXPECT_EQ(params.at("customer_email"), "reader@example.org");
  EXPECT_EQ(requests[0].at("idempotency_key").as_string(), "supportd-checkout-" + id);

  // The reader's view, with the manage token only.
  auto seen = client.get("/v1/pledges/" + id, "Authorization: Bearer " + token + "\r\n");
  ASSERT_EQ(status(seen), 200);
  auto pledge = json::parse(seen->body).as_object();
  EXPECT_EQ(pledge.at("status"), "pending");
  EXPECT_EQ(pledge.at("currency"), "USD");
  EXPECT_EQ(pledge.at("interval"), "month");
  EXPECT_EQ(pledge.at("charges_succeeded").as_int64(), 0);
  EXPECT_EQ(pledge.at("events").as_array().size(), 1u);
  EXPECT_EQ(status(client.get("/v1/pledges/" + id)), 401);
  EXPECT_EQ(status(client.get("/v1/pledges/" + id, "Authorization: Bearer mt_wrong\r\n")), 404);
  EXPECT_EQ(status(client.get("/v1/pledges/pl_unknown", "Authorization: Bearer " + token + "\r\n")),
            404);

  // No email or token in Redis or the logs.
  auto stored = redis_dump();
  EXPECT_EQ(stored.find("reader@example.org"), std::string::npos);
  EXPECT_EQ(stored.find(token), std::string::npos);
  for (const auto& line : service->process().lines()) {
    EXPECT_EQ(line.find("example.org"), std::string::npos) << line;
    EXPECT_EQ(line.find(token), std::string::npos) << line;
  }
}

TEST_F(Pledges, PlainFormPostRedirectsToCheckoutAndDoubleClicksMakeOnePledge) {
  start();
  const std::string form =
      "amount=2&currency=USD&interval=month&payment_method=paypal&email=a%40b.org&"
      "success_url=http%3A%2F%2Fshop.test%2Fthanks&cancel_url=http%3A%2F%2Fshop.test%2Fdonate";
  raw_client first(service->http_port(), false);
  raw_client second(service->http_port(), false);
  auto a = post_form(first, form, std::string("Origin: ") + shop + "\r\n");
  auto b = post_form(second, form, std::string("Origin: ") + shop + "\r\n");
  ASSERT_EQ(status(a), 303);
  ASSERT_EQ(status(b), 303);
  EXPECT_EQ(a->header("location"), b->header("location"));
  EXPECT_TRUE(a->header("location").find("/pay/cs_test_") != std::string::npos);
  EXPECT_EQ(a->header("access-control-allow-origin"), shop);
  EXPECT_EQ(sessions_created(), 1u);
  auto params =
      json::parse(stripe_control("GET", "/__control/requests")).as_array()[0].at("params");
  EXPECT_EQ(params.at("payment_method_types[0]"), "paypal");
}

// With no method picked on the form, Checkout is not pinned to one: the account's payment
// method configuration decides (a pinned card-only checkout would hide PayPal, wallets, SEPA).
TEST_F(Pledges, APledgeWithoutAPickedMethodLeavesThemToCheckout) {
  start();
  raw_client client(service->http_port(), false);
  auto r = post_form(client,
                     "amount=2&currency=EUR&interval=month&email=a%40b.org&success_url=http%3A%2F%"
                     "2Fshop.test%2Fthanks&cancel_url=http%3A%2F%2Fshop.test%2Fdonate",
                     std::string("Origin: ") + shop + "\r\n");
  ASSERT_EQ(status(r), 303);
  auto params =
      json::parse(stripe_control("GET", "/__control/requests")).as_array()[0].at("params");
  EXPECT_FALSE(params.as_object().contains("payment_method_types[0]")) << params;
}

TEST_F(Pledges, InvalidFieldsAre422NamingEachAndChangeNothing) {
  start();
  raw_client client(service->http_port(), false);
  auto before = redis_keys();
  auto r =
      post_json(client, R"({"amount":"1.5","currency":"USD","interval":"month","email":"nope",)"
                        R"("success_url":"https://evil.test/","cancel_url":"http://shop.test/"})");
  ASSERT_EQ(status(r), 422);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  std::set<std::string> fields;
  const auto problem = json::parse(r->body);
  for (const auto& e : problem.at("errors").as_array()) {
    fields.insert(std::string(e.at("field").as_string()));
  }
  EXPECT_EQ(fields, (std::set<std::string>{"amount", "email", "success_url"}));
  EXPECT_EQ(redis_keys(), before);
  EXPECT_EQ(sessions_created(), 0u);
  EXPECT_EQ(status(client.get("/healthz")), 200);  // the connection stays healthy

  // A plain form goes back to the form with the error code.
  raw_client browser(service->http_port(), false);
  auto back = post_form(browser, "amount=1&currency=USD&interval=month&email=a%40b.org");
  ASSERT_EQ(status(back), 303);
  EXPECT_TRUE(back->header("location").starts_with("http://shop.test/donate?form=1&error="))
      << back->header("location");
}

TEST_F(Pledges, CardNumbersAreRefusedAndNeverStoredOrLogged) {
  start();
  raw_client client(service->http_port(), false);
  auto r =
      post_json(client, R"({"amount":"5","currency":"USD","interval":"once","email":"a@b.org",)"
                        R"("name":"4242 4242 4242 4242","success_url":"http://shop.test/",)"
                        R"("cancel_url":"http://shop.test/"})");
  ASSERT_EQ(status(r), 422);
  EXPECT_EQ(json::parse(r->body).at("errors").as_array()[0].at("code"), "card_number");
  EXPECT_EQ(redis_dump().find("4242"), std::string::npos);
  for (const auto& line : service->process().lines()) {
    EXPECT_EQ(line.find("4242"), std::string::npos) << line;
  }
}

TEST_F(Pledges, IdempotencyKeyReplaysOrConflicts) {
  start();
  raw_client client(service->http_port(), false);
  auto first = post_json(client, pledge_json(), "Idempotency-Key: order-77\r\n");
  auto again = post_json(client, pledge_json(), "Idempotency-Key: order-77\r\n");
  ASSERT_EQ(status(first), 201);
  ASSERT_EQ(status(again), 201);
  EXPECT_EQ(first->body, again->body);
  EXPECT_EQ(again->header("idempotent-replayed"), "true");
  EXPECT_EQ(again->header("location"), first->header("location"));
  EXPECT_EQ(first->header("location"),
            "/v1/pledges/" + std::string(json::parse(first->body).at("id").as_string()));
  // Redis holds neither the key nor the manage token it would hand back.
  const std::string token(json::parse(first->body).at("manage_token").as_string());
  for (const auto& key : redis.cli({"--scan"})) {
    EXPECT_EQ(key.find("order-77"), std::string::npos) << key;
    if (key.find("idem:") != std::string::npos) {
      for (const auto& value : redis.cli({"hgetall", key})) {
        EXPECT_EQ(value.find(token.substr(3)), std::string::npos) << value;
      }
    }
  }
  auto other = post_json(client, pledge_json("7"), "Idempotency-Key: order-77\r\n");
  ASSERT_EQ(status(other), 409);
  EXPECT_EQ(json::parse(other->body).at("code"), "idempotency_conflict");
  EXPECT_EQ(sessions_created(), 1u);
}

TEST_F(Pledges, CorsPreflightAllowedAndDenied) {
  start();
  raw_client client(service->http_port(), false);
  client.send(std::string("OPTIONS /v1/pledges HTTP/1.1\r\nHost: x\r\nOrigin: ") + shop +
              "\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: "
              "content-type, idempotency-key\r\n\r\n");
  auto ok = client.read_response();
  ASSERT_EQ(status(ok), 204);
  EXPECT_EQ(ok->header("access-control-allow-origin"), shop);
  EXPECT_NE(ok->header("access-control-allow-headers").find("Idempotency-Key"), std::string::npos);
  EXPECT_EQ(ok->header("access-control-allow-credentials"), "");

  client.send("OPTIONS /v1/pledges HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.test\r\n\r\n");
  auto denied = client.read_response();
  ASSERT_EQ(status(denied), 403);
  EXPECT_EQ(denied->header("access-control-allow-origin"), "");
  auto post = post_json(client, pledge_json(), "Origin: https://evil.test\r\n");
  EXPECT_EQ(status(post), 403);
  EXPECT_EQ(sessions_created(), 0u);
}

TEST_F(Pledges, ProviderErrorsAreRetriedIntoOneSession) {
  start();
  stripe_control("POST", "/__control/fail", R"({"count":2,"mode":"status","status":500})");
  raw_client client(service->http_port(), false);
  auto r = post_json(client, pledge_json());
  ASSERT_EQ(status(r), 201) << (r ? r->body : "");
  stripe_control("POST", "/__control/fail", R"({"count":1,"mode":"status","status":429})");
  auto r2 = post_json(client, pledge_json("6"));
  ASSERT_EQ(status(r2), 201);
  stripe_control("POST", "/__control/fail", R"({"count":1,"mode":"drop"})");
  auto r3 = post_json(client, pledge_json("7"));
  ASSERT_EQ(status(r3), 201);
  // Four failed attempts and three good ones; each pledge's attempts used one key.
  auto requests = json::parse(stripe_control("GET", "/__control/requests")).as_array();
  std::map<std::string, int> attempts;
  for (const auto& q : requests) {
    attempts[std::string(q.at("idempotency_key").as_string())]++;
  }
  EXPECT_EQ(attempts.size(), 3u);
  // The 500s and the 429 were retried (3); the dropped connection was retried either by the
  // client's policy or, on a reused keep-alive connection, at once on a fresh one.
  auto metrics = client.get("/metrics");
  std::smatch retries;
  ASSERT_TRUE(std::regex_search(
      metrics->body, retries,
      std::regex(
          R"re(supportd_provider_retries_total\{provider="stripe",operation="create_checkout_session"\} (\d+))re")));
  EXPECT_GE(std::stoi(retries[1]), 3);
  EXPECT_LE(std::stoi(retries[1]), 4);
}

TEST_F(Pledges, ASlowProviderIsTimedOutAndRetriedIntoOneSession) {
  start({"--stripe-timeout=500ms"});
  // The first attempt takes longer than the deadline; Stripe still makes its session and saves
  // it under the Idempotency-Key, so the retry gets that same session back.
  stripe_control("POST", "/__control/fail", R"({"count":1,"mode":"slow","delay_ms":1500})");
  raw_client client(service->http_port(), false);
  auto started = std::chrono::steady_clock::now();
  auto r = post_json(client, pledge_json());
  ASSERT_EQ(status(r), 201) << (r ? r->body : "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  std::this_thread::sleep_for(1500ms);  // the slow first attempt completes at the stand-in
  const auto requests = json::parse(stripe_control("GET", "/__control/requests"));
  const auto pledge_id = std::string(json::parse(r->body).at("id").as_string());
  for (const auto& q : requests.as_array()) {
    EXPECT_EQ(q.at("idempotency_key").as_string(), "supportd-checkout-" + pledge_id);
  }
  auto body = json::parse(r->body).as_object();
  auto checkout = std::string(body.at("checkout_url").as_string());
  auto listed = json::parse(
      shell_output("curl -sk -H 'Authorization: Bearer sk_test_supportd' https://127.0.0.1:" +
                   std::to_string(stripe_port) + "/v1/checkout/sessions/" +
                   checkout.substr(checkout.rfind('/') + 1)));
  EXPECT_EQ(listed.at("client_reference_id").as_string(), body.at("id").as_string());
}

TEST_F(Pledges, AProviderSlowerThanTheHeaderTimeoutIsAnswered503WithRetryAfter) {
  // Every attempt outlives --stripe-timeout, and the three of them together outlive
  // --header-timeout many times over: that timeout is for reading the request, so the handler
  // still answers, and the client hears what the log records.
  start({"--header-timeout=300ms", "--stripe-timeout=400ms"});
  stripe_control("POST", "/__control/fail", R"({"count":100,"mode":"slow","delay_ms":2000})");
  raw_client client(service->http_port(), false);
  auto started = std::chrono::steady_clock::now();
  auto r = post_json(client, pledge_json(), "X-Request-Id: slow-provider-1\r\n");
  ASSERT_EQ(status(r), 503) << "no answer after "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count()
                            << " ms";
  EXPECT_GT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(json::parse(r->body).at("code"), "provider_unavailable");
  EXPECT_FALSE(r->header("retry-after").empty());
  auto logged = service->process().wait_for_line(
      [](const std::string& l) {
        return l.find(R"("msg":"request")") != std::string::npos &&
               l.find(R"("request_id":"slow-provider-1")") != std::string::npos;
      },
      2s);
  ASSERT_TRUE(logged);
  EXPECT_NE(logged->find(R"("status":503)"), std::string::npos) << *logged;
  // The connection is still good for the next request.
  EXPECT_EQ(status(client.get("/healthz")), 200);
}

TEST_F(Pledges, ProviderDownIsAFast503AndNothingIsWritten) {
  start();
  stripe_control("POST", "/__control/fail", R"({"count":1000,"mode":"status","status":503})");
  raw_client client(service->http_port(), false);
  auto before = redis_keys();
  for (int i = 0; i < 5; ++i) {
    auto r = post_json(client, pledge_json(), "Idempotency-Key: k" + std::to_string(i) + "\r\n");
    ASSERT_EQ(status(r), 503);
    EXPECT_EQ(json::parse(r->body).at("code"), "provider_unavailable");
  }
  // Five failed calls opened the circuit: the next answer is immediate.
  auto started = std::chrono::steady_clock::now();
  auto fast = post_json(client, pledge_json(), "Idempotency-Key: k-fast\r\n");
  EXPECT_EQ(status(fast), 503);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 200ms);
  EXPECT_NE(
      client.get("/metrics")->body.find("supportd_provider_circuit_open{provider=\"stripe\"} 1"),
      std::string::npos);
  // Claims were given back and no pledge was kept.
  EXPECT_EQ(redis_keys().find("pledge:"), std::string::npos);
  EXPECT_EQ(redis_keys().find("idem:"), std::string::npos);
}

TEST_F(Pledges, CancelByOneClickLinkNeedsNoLogin) {
  start();
  raw_client client(service->http_port(), false);
  auto created = post_json(client, pledge_json());
  ASSERT_EQ(status(created), 201);
  auto body = json::parse(created->body).as_object();
  const std::string id(body.at("id").as_string());
  std::string link(body.at("cancel_link").as_string());
  auto path = link.substr(std::string("https://support.test").size());
  auto token = path.substr(path.find("token=") + 6);

  auto page = client.get(path);
  ASSERT_EQ(status(page), 200);
  EXPECT_NE(page->body.find("<form method=\"post\">"), std::string::npos);
  EXPECT_EQ(status(client.get("/v1/pledges/" + id + "/cancel?token=" + token + "x")), 403);

  const std::string form = "token=" + token;
  client.send("POST /v1/pledges/" + id +
              "/cancel HTTP/1.1\r\nHost: x\r\nContent-Type: "
              "application/x-www-form-urlencoded\r\nContent-Length: " +
              std::to_string(form.size()) + "\r\n\r\n" + form);
  auto done = client.read_response();
  ASSERT_EQ(status(done), 200);
  EXPECT_NE(done->body.find("Your support is cancelled"), std::string::npos) << done->body;

  auto seen = client.get(
      "/v1/pledges/" + id,
      "Authorization: Bearer " + std::string(body.at("manage_token").as_string()) + "\r\n");
  EXPECT_EQ(json::parse(seen->body).at("status"), "canceled");
  // Cancelling again is fine and changes nothing.
  client.send("POST /v1/pledges/" + id + "/cancel HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
              std::string(body.at("manage_token").as_string()) + "\r\nContent-Length: 0\r\n\r\n");
  auto again = client.read_response();
  ASSERT_EQ(status(again), 200);
  EXPECT_EQ(json::parse(again->body).at("status"), "canceled");
  EXPECT_EQ(json::parse(seen->body).at("events").as_array().size(), 2u);
}

TEST_F(Pledges, RateLimitPerClientAddress) {
  start({"--rate-limit-per-minute=3"});
  raw_client client(service->http_port(), false);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(status(post_json(client, pledge_json(std::to_string(5 + i)))), 201);
  }
  auto limited = post_json(client, pledge_json("9"));
  ASSERT_EQ(status(limited), 429);
  int retry_after = std::stoi(limited->header("retry-after"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
}

// Polls the pledge until `done` holds for it, up to 10 s; the last view.
json::object wait_for_pledge(raw_client& client, const std::string& id, const std::string& token,
                             const std::function<bool(const json::object&)>& done) {
  json::object last;
  for (int i = 0; i < 200; ++i) {
    auto r = client.get("/v1/pledges/" + id, "Authorization: Bearer " + token + "\r\n");
    if (r && r->status == 200) {
      last = json::parse(r->body).as_object();
      if (done(last)) {
        break;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  return last;
}

TEST_F(Pledges, PaidCheckoutActivatesThenRenewalsFailuresAndTheEndFollow) {
  start();
  raw_client client(service->http_port(), false);
  auto created = post_json(client, pledge_json());
  ASSERT_EQ(status(created), 201);
  auto body = json::parse(created->body).as_object();
  const std::string id(body.at("id").as_string());
  const std::string token(body.at("manage_token").as_string());
  const std::string checkout(body.at("checkout_url").as_string());

  // The reader pays on the hosted page; fake-stripe sends the signed webhooks Stripe would.
  shell_output("curl -sk -o /dev/null -X POST '" + checkout + "'");
  auto active = wait_for_pledge(client, id, token, [](const json::object& p) {
    return p.at("status") == "active" && p.at("charges_succeeded").as_int64() == 1;
  });
  ASSERT_EQ(active.at("status"), "active");
  EXPECT_EQ(active.at("total_given_minor").as_int64(), 500);
  EXPECT_FALSE(active.at("next_charge_at").is_null());

  auto session_id = checkout.substr(checkout.rfind('/') + 1);
  auto session = json::parse(
      shell_output("curl -sk -H 'Authorization: Bearer sk_test_supportd' https://127.0.0.1:" +
                   std::to_string(stripe_port) + "/v1/checkout/sessions/" + session_id));
  const std::string subscription(session.at("subscription").as_string());

  auto send_event = [&](const std::string& type) {
    stripe_control("POST", "/__control/events",
                   "{\"type\":\"" + type + "\",\"subscription\":\"" + subscription + "\"}");
  };
  send_event("invoice.payment_failed");
  auto past_due = wait_for_pledge(
      client, id, token, [](const json::object& p) { return p.at("status") == "past_due"; });
  ASSERT_EQ(past_due.at("status"), "past_due");
  EXPECT_EQ(past_due.at("consecutive_failures").as_int64(), 1);

  send_event("invoice.paid");
  auto renewed = wait_for_pledge(client, id, token, [](const json::object& p) {
    return p.at("charges_succeeded").as_int64() == 2;
  });
  EXPECT_EQ(renewed.at("status"), "active");
  EXPECT_EQ(renewed.at("consecutive_failures").as_int64(), 0);

  send_event("customer.subscription.deleted");
  auto ended = wait_for_pledge(client, id, token,
                               [](const json::object& p) { return p.at("status") == "canceled"; });
  EXPECT_EQ(ended.at("status"), "canceled");
  auto metrics = client.get("/metrics")->body;
  EXPECT_NE(metrics.find(R"(supportd_pledge_transitions_total{from="pending",to="active"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.find(R"(supportd_pledge_transitions_total{from="active",to="past_due"} 1)"),
            std::string::npos);
}

// anyone can post a pledge with anyone's address, so posting one must not cancel
// that reader's reminder; paying it (its first payment, told by Stripe's webhook) does.
TEST_F(Pledges, OnlyAPaidPledgeCancelsTheReadersReminderForItsCampaign) {
  std::ofstream(dir.path() / "data-keys") << "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
  start({"--data-key-file=" + (dir.path() / "data-keys").string()});
  raw_client client(service->http_port(), false);
  auto sign_up = [&](const std::string& campaign) {
    const std::string body = R"({"email":"reader@example.org","campaign":")" + campaign +
                             R"(","remind_in":"P7D","consent":true,"consent_version":"v1"})";
    client.send(
        "POST /v1/reminders HTTP/1.1\r\nHost: support.test\r\nContent-Type: "
        "application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    auto r = client.read_response(20s);
    EXPECT_EQ(status(r), 201);
    auto o = json::parse(r ? r->body : "{}").as_object();
    return std::pair{std::string(o.at("id").as_string()),
                     std::string(o.at("manage_token").as_string())};
  };
  auto reminder_status = [&](const std::pair<std::string, std::string>& r) {
    auto seen =
        client.get("/v1/reminders/" + r.first, "Authorization: Bearer " + r.second + "\r\n");
    return status(seen) == 200 ? std::string(json::parse(seen->body).at("status").as_string())
                               : "answered " + std::to_string(status(seen));
  };
  const auto winter = sign_up("winter");
  const auto spring = sign_up("spring");

  // A pledge is posted with the reader's address (pledge_json's, in another case): unpaid.
  auto created = post_json(client, pledge_json());
  ASSERT_EQ(status(created), 201);
  auto body = json::parse(created->body).as_object();
  const std::string id(body.at("id").as_string());
  const std::string token(body.at("manage_token").as_string());
  EXPECT_EQ(reminder_status(winter), "pending");
  EXPECT_EQ(reminder_status(spring), "pending");
  // The pledge keeps a keyed hash to find the reminders by, never the address.
  EXPECT_EQ(redis_dump().find("example.org"), std::string::npos);

  // Paid: the campaign's reminder is cancelled, the other campaign's stays.
  shell_output("curl -sk -o /dev/null -X POST '" +
               std::string(body.at("checkout_url").as_string()) + "'");
  auto active = wait_for_pledge(client, id, token,
                                [](const json::object& p) { return p.at("status") == "active"; });
  ASSERT_EQ(active.at("status"), "active");
  std::string seen;
  for (int i = 0; i < 100 && (seen = reminder_status(winter)) == "pending"; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(seen, "cancelled");
  EXPECT_EQ(reminder_status(spring), "pending");
  // The pledge has let go of the reader's hash.
  EXPECT_EQ(shell_output("redis-cli -p " + std::to_string(redis.port()) +
                         " HEXISTS supportd:pledge:" + id + " reminder_reader"),
            "0\n");
}

TEST_F(Pledges, WebhookSignaturesAreCheckedBeforeAnythingIsKept) {
  start();
  raw_client client(service->http_port(), false);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string event =
      R"({"id":"evt_sig","object":"event","type":"payout.paid","livemode":false,"data":{"object":{}}})";
  auto send = [&](const std::string& signature, const std::string& body) {
    client.send(
        "POST /v1/webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Stripe-Signature: " +
        signature + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return status(client.read_response());
  };
  auto good = webhooks::sign_stripe_payload(event, "whsec_e2e", now);
  EXPECT_EQ(send(good, event), 200);
  EXPECT_EQ(send(webhooks::sign_stripe_payload(event, "whsec_old_one", now), event),
            200);                           // rotated
  EXPECT_EQ(send(good, event + " "), 400);  // tampered
  EXPECT_EQ(send(webhooks::sign_stripe_payload(event, "whsec_e2e", now - 301), event),
            400);  // stale
  EXPECT_EQ(send(webhooks::sign_stripe_payload(event, "whsec_wrong", now), event), 400);
  auto v0_only = "t=" + std::to_string(now) + ",v0=" + good.substr(good.find("v1=") + 3);
  EXPECT_EQ(send(v0_only, event), 400);
  const std::string live =
      R"({"id":"evt_live","type":"payout.paid","livemode":true,"data":{"object":{}}})";
  // A live event at a test deployment is acknowledged (Stripe would retry a 4xx) and dropped.
  EXPECT_EQ(send(webhooks::sign_stripe_payload(live, "whsec_e2e", now), live), 200);

  auto metrics = client.get("/metrics")->body;
  EXPECT_NE(
      metrics.find(
          R"(supportd_webhook_signature_failures_total{provider="stripe",reason="mismatch"} 2)"),
      std::string::npos);
  EXPECT_NE(metrics.find(
                R"(supportd_webhook_signature_failures_total{provider="stripe",reason="stale"} 1)"),
            std::string::npos);
  EXPECT_NE(
      metrics.find(
          R"(supportd_webhook_signature_failures_total{provider="stripe",reason="malformed"} 1)"),
      std::string::npos);
  EXPECT_NE(
      metrics.find(
          R"(supportd_webhooks_received_total{provider="stripe",type="other",outcome="accepted"} 2)"),
      std::string::npos);
  EXPECT_NE(
      metrics.find(
          R"(supportd_webhooks_received_total{provider="stripe",type="other",outcome="wrong_mode"} 1)"),
      std::string::npos);
  // Only the two verified deliveries reached processing (an unknown type: counted, not failed).
  const std::string processed =
      R"(supportd_webhook_events_processed_total{provider="stripe",type="other",outcome="unknown_type"} 2)";
  for (int i = 0; i < 100 && client.get("/metrics")->body.find(processed) == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(client.get("/metrics")->body.find(processed), std::string::npos);
}

TEST_F(Pledges, PastTheWebhookBacklogBoundEventsAreRefusedWith503NotTrimmed) {
  // Events about no known pledge stay pending (each retried, then kept as an orphan), so the
  // backlog stays full while the test sends.
  start({"--webhook-max-backlog=3"});
  raw_client client(service->http_port(), false);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto send = [&](const std::string& id) {
    const std::string event =
        R"({"id":")" + id +
        R"(","object":"event","type":"invoice.paid","created":1700000000,"livemode":false,)"
        R"("data":{"object":{"object":"invoice","subscription":"sub_nobody","amount_paid":500,)"
        R"("subscription_details":{"metadata":{"pledge_id":"pl_nobody"}}}}})";
    client.send(
        "POST /v1/webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Stripe-Signature: " +
        webhooks::sign_stripe_payload(event, "whsec_e2e", now) +
        "\r\nContent-Length: " + std::to_string(event.size()) + "\r\n\r\n" + event);
    return client.read_response();
  };
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(status(send("evt_backlog_" + std::to_string(i))), 200);
  }
  auto refused = send("evt_backlog_3");
  ASSERT_EQ(status(refused), 503);
  EXPECT_EQ(json::parse(refused->body).at("code"), "backlog_full");
  EXPECT_EQ(refused->header("retry-after"), "60");
  // Nothing acknowledged was dropped to make room.
  EXPECT_EQ(
      shell_output("redis-cli -p " + std::to_string(redis.port()) + " XLEN supportd:stripe:events"),
      "3\n");
  EXPECT_NE(
      client.get("/metrics")
          ->body.find(
              R"(supportd_webhooks_received_total{provider="stripe",type="invoice.paid",outcome="backlog_full"} 1)"),
      std::string::npos);
}

TEST_F(Pledges, WithoutAStripeKeyPledgesAreOffAndSayWhy) {
  supportd_process plain(redis.url(), {std::string("--allowed-origins=") + shop});
  ASSERT_TRUE(plain.wait_ready(10s));
  raw_client client(plain.http_port(), false);
  auto r = post_json(client, pledge_json());
  ASSERT_EQ(status(r), 503);
  EXPECT_NE(json::parse(r->body).at("detail").as_string().find("--stripe-secret-key-file"),
            std::string::npos);
  EXPECT_EQ(status(client.get("/healthz")), 200);
}

}  // namespace
}  // namespace supportd::test

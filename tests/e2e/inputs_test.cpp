// Input hardening end to end: the real supportd, a real Redis and fake-stripe, sent
// what a stranger would send.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "e2e/fake_stripe_peer.hpp"
#include "security/secrets.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto site = "https://news.example";
constexpr auto admin_token = "admin-token-0123456789abcdef";

class Inputs : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "webhook-secrets") << "whsec_e2e\n";
    std::ofstream(dir.path() / "link-secret") << "0123456789abcdef0123456789abcdef-links\n";
    std::ofstream(dir.path() / "data-keys") << "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
    std::ofstream(dir.path() / "admin-token") << admin_token << "\n";
    stripe_port = free_port();
  }

  std::vector<std::string> base_args() {
    return {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secrets").string(),
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--link-secret-file=" + (dir.path() / "link-secret").string(),
        "--data-key-file=" + (dir.path() / "data-keys").string(),
        "--admin-token-file=" + (dir.path() / "admin-token").string(),
        "--public-url=https://support.test",
        std::string("--allowed-origins=") + site,
    };
  }

  void start(std::vector<std::string> extra = {}) {
    service =
        std::make_unique<supportd_process>(redis.url(), with_test_rate_limit(base_args(), extra));
    ASSERT_TRUE(service->wait_ready(10s));
    stripe = start_fake_stripe(dir.path(), stripe_port, service->http_port(), "whsec_e2e");
    ASSERT_EQ(listening_port(*stripe), stripe_port);
  }

  std::string stripe_control(const std::string& method, const std::string& path,
                             const std::string& body = "") {
    return shell_output(
        "curl -sk -X " + method + " https://127.0.0.1:" + std::to_string(stripe_port) + path +
        (body.empty() ? "" : " -H 'Content-Type: application/json' -d '" + body + "'"));
  }
  std::string redis_cli(const std::string& args) {
    return shell_output("redis-cli -p " + std::to_string(redis.port()) + " " + args);
  }
  // Every key and every value in Redis, as text.
  std::string redis_dump() {
    return shell_output("for k in $(redis-cli -p " + std::to_string(redis.port()) +
                        " KEYS '*'); do echo \"$k\"; redis-cli -p " + std::to_string(redis.port()) +
                        " HGETALL \"$k\" 2>/dev/null; redis-cli -p " +
                        std::to_string(redis.port()) + " GET \"$k\" 2>/dev/null; done");
  }

  static std::optional<raw_response> post(raw_client& c, const std::string& path,
                                          const std::string& content_type, const std::string& body,
                                          const std::string& extra = "") {
    c.send("POST " + path + " HTTP/1.1\r\nHost: support.test\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
    return c.read_response(20s);
  }

  static std::string pledge_json() {
    return R"({"amount":"5","currency":"USD","interval":"month","email":"reader@example.org",)"
           R"("campaign":"winter","component":"banner","page_url":"https://news.example/a",)"
           R"("success_url":"https://news.example/thanks","cancel_url":"https://news.example/"})";
  }

  // "field:code" of each invalid field of a 422.
  static std::vector<std::string> invalid_fields(const std::optional<raw_response>& r) {
    std::vector<std::string> out;
    if (!r) {
      return out;
    }
    auto body = json::parse(r->body).as_object();
    for (const auto& e : body.at("errors").as_array()) {
      out.push_back(std::string(e.at("field").as_string()) + ":" +
                    std::string(e.at("code").as_string()));
    }
    return out;
  }

  temp_dir dir;
  redis_server redis;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<child_process> stripe;
};

TEST_F(Inputs, AFormFieldThatIsNotUtf8Is422AndNothingIsStored) {
  start();
  raw_client client(service->http_port(), false);
  auto r = post(client, "/v1/reminders", "application/x-www-form-urlencoded",
                "email=r%FF%FE%40example.org&remind_in=P7D&campaign=winter&consent=on"
                "&consent_version=v1");
  ASSERT_EQ(status(r), 422) << (r ? r->body : "");
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  EXPECT_EQ(invalid_fields(r), (std::vector<std::string>{"email:invalid_text"}));
  auto pledge = post(client, "/v1/pledges", "application/x-www-form-urlencoded",
                     "amount=5&currency=USD&interval=month&email=a%40example.org&name=Jo%E9"
                     "&success_url=https%3A%2F%2Fnews.example%2F&cancel_url=https%3A%2F%2Fnews."
                     "example%2F");
  ASSERT_EQ(status(pledge), 422) << (pledge ? pledge->body : "");
  EXPECT_EQ(invalid_fields(pledge), (std::vector<std::string>{"name:invalid_text"}));
  EXPECT_EQ(redis_cli("--scan --pattern '*reminder*'"), "");
  EXPECT_EQ(redis_cli("--scan --pattern '*pledge:pl_*'"), "");
}

TEST_F(Inputs, APageUrlOffTheSiteNeverGetsIn) {
  start();
  raw_client client(service->http_port(), false);
  const std::string head =
      R"({"email":"reader@example.org","remind_in":"P7D","campaign":"winter","consent":true,)"
      R"("consent_version":"v1","page_url":)";
  for (auto [url, code] :
       {std::pair{"javascript:alert(document.cookie)", "page_url:invalid_url"},
        std::pair{"https://phish.example/give", "page_url:origin_not_allowed"}}) {
    auto r = post(client, "/v1/reminders", "application/json", head + "\"" + url + "\"}");
    ASSERT_EQ(status(r), 422) << (r ? r->body : "");
    EXPECT_EQ(invalid_fields(r), (std::vector<std::string>{code}));
    auto body = pledge_json();
    body.replace(body.find("https://news.example/a"), 22, url);
    auto p = post(client, "/v1/pledges", "application/json", body);
    ASSERT_EQ(status(p), 422) << (p ? p->body : "");
    EXPECT_EQ(invalid_fields(p), (std::vector<std::string>{code}));
  }
  auto ok = post(client, "/v1/reminders", "application/json",
                 head + R"("https://news.example/story/1"})");
  EXPECT_EQ(status(ok), 201) << (ok ? ok->body : "");
}

TEST_F(Inputs, AJsonNumberThatIsACardNumberIsRefused) {
  start();
  raw_client client(service->http_port(), false);
  auto body = pledge_json();
  body.replace(body.find(R"("amount":"5")"), 12, R"("amount_minor":4111111111111111)");
  auto r = post(client, "/v1/pledges", "application/json", body);
  ASSERT_EQ(status(r), 422) << (r ? r->body : "");
  auto fields = invalid_fields(r);
  ASSERT_FALSE(fields.empty());
  EXPECT_EQ(fields.front(), "body:card_number");
  EXPECT_EQ(r->body.find("4111111111111111"), std::string::npos);
  EXPECT_EQ(redis_dump().find("4111111111111111"), std::string::npos);
  for (const auto& line : service->process().lines()) {
    EXPECT_EQ(line.find("4111111111111111"), std::string::npos) << line;
  }
}

TEST_F(Inputs, APledgeWhoseClaimWasLostIsNotAnsweredCreated) {
  start({"--stripe-timeout=5s"});
  // The checkout call is slow; meanwhile the claim on the Idempotency-Key goes (as when it
  // expires): nothing can be stored, and the answer must say so.
  stripe_control("POST", "/__control/fail", R"({"count":1,"mode":"slow","delay_ms":1500})");
  const std::string key = "claim-lost-1";
  const auto claim = "supportd:idem:pledge:" + security::sha256_hex(key);
  std::thread expire([&] {
    std::this_thread::sleep_for(700ms);
    redis_cli("DEL " + claim);
  });
  raw_client client(service->http_port(), false);
  auto r = post(client, "/v1/pledges", "application/json", pledge_json(),
                "Idempotency-Key: " + key + "\r\n");
  expire.join();
  ASSERT_EQ(status(r), 409) << (r ? r->body : "");
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(r->body).at("code").as_string(), "idempotency_claim_lost");
  EXPECT_FALSE(r->header("retry-after").empty());
  EXPECT_EQ(r->body.find("checkout_url"), std::string::npos);
  EXPECT_EQ(redis_cli("--scan --pattern 'supportd:pledge:*'"), "");
  // The same request again is a fresh, stored pledge.
  auto again = post(client, "/v1/pledges", "application/json", pledge_json(),
                    "Idempotency-Key: " + key + "\r\n");
  ASSERT_EQ(status(again), 201) << (again ? again->body : "");
  auto id = std::string(json::parse(again->body).at("id").as_string());
  EXPECT_EQ(redis_cli("EXISTS supportd:pledge:" + id), "1\n");
}

TEST_F(Inputs, TheSavedIdempotentAnswerHoldsNoCapabilityInClear) {
  start();
  raw_client client(service->http_port(), false);
  auto r = post(client, "/v1/pledges", "application/json", pledge_json(),
                "Idempotency-Key: sealed-1\r\n");
  ASSERT_EQ(status(r), 201) << (r ? r->body : "");
  auto body = json::parse(r->body).as_object();
  const std::string manage(body.at("manage_token").as_string());
  const std::string cancel(body.at("cancel_link").as_string());
  const auto token = cancel.substr(cancel.find("token=") + 6);
  const auto dump = redis_dump();
  EXPECT_EQ(dump.find(manage.substr(3)), std::string::npos);
  EXPECT_EQ(dump.find(token), std::string::npos) << dump;
  EXPECT_EQ(dump.find(token.substr(token.find('.') + 1)), std::string::npos);
  // The same key gets both back.
  auto replay = post(client, "/v1/pledges", "application/json", pledge_json(),
                     "Idempotency-Key: sealed-1\r\n");
  ASSERT_EQ(status(replay), 201);
  EXPECT_EQ(replay->header("idempotent-replayed"), "true");
  auto replayed = json::parse(replay->body).as_object();
  EXPECT_EQ(replayed.at("manage_token").as_string(), manage);
  EXPECT_EQ(replayed.at("cancel_link").as_string(), cancel);
}

TEST_F(Inputs, ThePeersLineOfTheClientIpHeaderCountsNotTheClients) {
  start({"--client-ip-header=X-Forwarded-For", "--rate-limit-per-minute=2"});
  raw_client client(service->http_port(), false);
  // One client behind the proxy, sending a new line of its own each time; the proxy's line,
  // appended last, always names it.
  std::vector<int> statuses;
  for (int i = 0; i < 3; ++i) {
    auto r = post(client, "/v1/reminders", "application/json", "{}",
                  "X-Forwarded-For: 198.51.100." + std::to_string(i) +
                      "\r\nX-Forwarded-For: 203.0.113.7\r\n");
    statuses.push_back(status(r));
  }
  EXPECT_EQ(statuses, (std::vector<int>{422, 422, 429}));
}

TEST_F(Inputs, TrustedProxyHopsSkipTheNearestProxies) {
  start({"--client-ip-header=X-Forwarded-For", "--trusted-proxy-hops=2",
         "--rate-limit-per-minute=2"});
  raw_client client(service->http_port(), false);
  std::vector<int> statuses;
  // The CDN wrote the client (203.0.113.7); the load balancer wrote a different CDN node each
  // time. Only the client's address is counted.
  for (int i = 0; i < 3; ++i) {
    auto r = post(client, "/v1/reminders", "application/json", "{}",
                  "X-Forwarded-For: 6.6.6.6, 203.0.113.7\r\nX-Forwarded-For: 192.0.2." +
                      std::to_string(i) + "\r\n");
    statuses.push_back(status(r));
  }
  EXPECT_EQ(statuses, (std::vector<int>{422, 422, 429}));
}

TEST_F(Inputs, WrongAdminTokensAreThrottledPerAddress) {
  start();
  raw_client client(service->http_port(), false);
  for (int i = 0; i < 10; ++i) {
    auto r = client.get("/admin/summary",
                        "Authorization: Bearer wrong-guess-" + std::to_string(i) + "\r\n");
    ASSERT_EQ(status(r), 401) << i;
  }
  auto refused = client.get("/admin/summary", "Authorization: Bearer wrong-again\r\n");
  ASSERT_EQ(status(refused), 429);
  EXPECT_EQ(json::parse(refused->body).at("code").as_string(), "admin_throttled");
  auto retry_after = std::stoi(refused->header("retry-after"));
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 300);
  // While throttled even the right token is refused: a guesser learns nothing.
  auto right =
      client.get("/admin/summary", std::string("Authorization: Bearer ") + admin_token + "\r\n");
  EXPECT_EQ(status(right), 429);
  auto metrics = client.get("/metrics");
  ASSERT_EQ(status(metrics), 200);
  EXPECT_NE(metrics->body.find(R"(supportd_admin_auth_refused_total{reason="throttled"} 2)"),
            std::string::npos);
  EXPECT_NE(metrics->body.find(R"(supportd_admin_auth_refused_total{reason="wrong_token"} 10)"),
            std::string::npos);
  for (const auto& line : service->process().lines()) {
    EXPECT_EQ(line.find("wrong-guess"), std::string::npos) << line;
    EXPECT_EQ(line.find(admin_token), std::string::npos) << line;
  }
}

// On the ops listener no proxy stands in front: a client-address header there is the caller's own
// words, and a fresh one per request must not buy a fresh budget of guesses.
TEST_F(Inputs, OnTheOpsListenerTheThrottleKeysOnThePeerNotOnHeaders) {
  start({"--client-ip-header=X-Forwarded-For", "--listen-ops=127.0.0.1:0"});
  raw_client ops(service->ops_port(), false);
  for (int i = 0; i < 10; ++i) {
    auto r = ops.get("/admin/summary", "X-Forwarded-For: 198.51.100." + std::to_string(i) +
                                           "\r\nAuthorization: Bearer wrong-guess\r\n");
    ASSERT_EQ(status(r), 401) << i;
  }
  EXPECT_EQ(status(ops.get("/admin/summary",
                           "X-Forwarded-For: 198.51.100.99\r\nAuthorization: Bearer wrong\r\n")),
            429);
}

// Readers' routes take the admin token too (support staff act for a reader): a bearer token that
// is not a manage token is an admin guess there, throttled like one on /admin/*.
TEST_F(Inputs, AdminGuessesOnReadersRoutesAreThrottledToo) {
  start();
  raw_client client(service->http_port(), false);
  const std::string reminder = "/v1/reminders/AAAAAAAAAAAAAAAAAAAA";
  const std::string pledge = "/v1/pledges/pl_AAAAAAAAAAAAAAAA";
  for (int i = 0; i < 10; ++i) {
    auto r = client.get(i % 2 == 0 ? reminder : pledge,
                        "Authorization: Bearer wrong-guess-" + std::to_string(i) + "\r\n");
    ASSERT_EQ(status(r), 404) << i;
  }
  EXPECT_EQ(status(client.get("/admin/summary",
                              std::string("Authorization: Bearer ") + admin_token + "\r\n")),
            429);
}

TEST_F(Inputs, ASecretFileOthersMayReadStopsTheStart) {
  std::filesystem::permissions(dir.path() / "admin-token", std::filesystem::perms(0644));
  child_process supportd({SUPPORTD_BINARY, "--listen-https=", "--listen-http=127.0.0.1:0",
                          "--redis-url=" + redis.url(),
                          "--admin-token-file=" + (dir.path() / "admin-token").string()});
  auto code = supportd.wait(10s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
  bool named = false;
  for (const auto& line : supportd.lines()) {
    named = named ||
            (line.find("--admin-token-file") != std::string::npos &&
             line.find("chmod 600 " + (dir.path() / "admin-token").string()) != std::string::npos);
    EXPECT_EQ(line.find(admin_token), std::string::npos) << line;
  }
  EXPECT_TRUE(named);
}

TEST_F(Inputs, PlainHttpToAStripeThatIsNotLocalStopsTheStart) {
  child_process supportd({SUPPORTD_BINARY, "--listen-https=", "--listen-http=127.0.0.1:0",
                          "--redis-url=" + redis.url(), "--stripe-api-base=http://api.stripe.com"});
  auto code = supportd.wait(10s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
  bool named = false;
  for (const auto& line : supportd.lines()) {
    named = named || line.find("--stripe-api-base") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace supportd::test

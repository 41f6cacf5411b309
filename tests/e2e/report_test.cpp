// The reader-revenue report end to end: the real supportd, a real Redis, fake-stripe sending
// signed events (repeated and late ones included) and a receiver taking reminder deliveries;
// every figure of GET /admin/report is what the test made happen.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <thread>

#include "e2e/fake_stripe_peer.hpp"
#include "reports/report_counter.hpp"
#include "support/email_service.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto shop = "http://shop.test";
constexpr auto admin_token = "admin-token-for-the-report";

std::int64_t today() {
  return reports::day_of(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "link-secret") << "0123456789abcdef0123456789abcdef-links\n";
    std::ofstream(dir.path() / "webhook-secret") << "whsec_e2e\n";
    std::ofstream(dir.path() / "admin-token") << admin_token << "\n";
    std::ofstream(dir.path() / "data-keys") << "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
    std::ofstream(dir.path() / "notify-secret")
        << "whsec_a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n";
    stripe_port = free_port();
  }

  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secret").string(),
        "--webhook-retry-after=1s",
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--link-secret-file=" + (dir.path() / "link-secret").string(),
        "--admin-token-file=" + (dir.path() / "admin-token").string(),
        "--data-key-file=" + (dir.path() / "data-keys").string(),
        "--notify-url=" + email.url(),
        "--notify-secret-file=" + (dir.path() / "notify-secret").string(),
        "--reminder-poll=100ms",
        "--public-url=https://support.test",
        std::string("--allowed-origins=") + shop,
    };
    args.insert(args.end(), extra.begin(), extra.end());
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

  std::optional<raw_response> post(const std::string& path, const std::string& body,
                                   const std::string& extra = "") {
    client->send("POST " + path +
                 " HTTP/1.1\r\nHost: support.test\r\nContent-Type: application/json\r\n"
                 "Content-Length: " +
                 std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
    return client->read_response(20s);
  }

  struct made_pledge {
    std::string id, token, checkout;
  };
  made_pledge pledge(const std::string& fields) {
    auto r = post("/v1/pledges", "{" + fields +
                                     R"(,"success_url":"http://shop.test/thanks",)"
                                     R"("cancel_url":"http://shop.test/donate"})");
    EXPECT_EQ(status(r), 201) << (r ? r->body : "");
    if (status(r) != 201) {
      return {};
    }
    auto o = json::parse(r->body).as_object();
    return {std::string(o.at("id").as_string()), std::string(o.at("manage_token").as_string()),
            std::string(o.at("checkout_url").as_string())};
  }
  void pay(const made_pledge& p) {
    shell_output("curl -sk -o /dev/null -X POST '" + p.checkout + "'");
  }
  std::string session_of(const made_pledge& p) {
    return p.checkout.substr(p.checkout.rfind('/') + 1);
  }
  // Looks at the pledge until it has `status`, up to 10 s; its last status.
  std::string wait_for_status(const made_pledge& p, const std::string& wanted) {
    std::string seen;
    for (int i = 0; i < 200; ++i) {
      auto r = client->get("/v1/pledges/" + p.id, "Authorization: Bearer " + p.token + "\r\n");
      seen = status(r) == 200 ? std::string(json::parse(r->body).at("status").as_string()) : "";
      if (seen == wanted) {
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    return seen;
  }
  // The ids of fake-stripe's events of `type`, newest first.
  std::vector<std::string> events_of(const std::string& type) {
    auto list = json::parse(stripe_api("GET", "/v1/events?limit=100&type=" + type));
    std::vector<std::string> out;
    for (const auto& e : list.at("data").as_array()) {
      out.emplace_back(e.at("id").as_string());
    }
    return out;
  }

  std::optional<raw_response> report(const std::string& query, const std::string& extra = "") {
    return client->get("/admin/report?" + query,
                       std::string("Authorization: Bearer ") + admin_token + "\r\n" + extra);
  }

  temp_dir dir;
  redis_server redis;
  email_service email;
  std::unique_ptr<child_process> stripe;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<raw_client> client;
};

// One row of the report grouped by every dimension: the counters given, the rest zero.
json::object row(std::initializer_list<std::string_view> key,
                 std::initializer_list<std::pair<std::string_view, std::int64_t>> counts,
                 json::object first_payment_minor, json::value checkout_conversion,
                 json::value reminder_conversion) {
  json::object out;
  const char* names[] = {"campaign", "component", "variant", "currency", "interval"};
  std::size_t i = 0;
  for (auto k : key) {
    out[names[i++]] = k;
  }
  for (auto c : reports::all_counters) {
    out[reports::to_string(c)] = 0;
  }
  for (auto [name, n] : counts) {
    out[name] = n;
  }
  out["first_payment_minor"] = std::move(first_payment_minor);
  out["checkout_conversion"] = checkout_conversion;
  out["reminder_conversion"] = reminder_conversion;
  return out;
}

TEST_F(Report, EveryFigureIsWhatHappenedOnceWhateverStripeRepeats) {
  start({"--report-campaigns=winter"});
  const auto first_day = today();

  // A reader signs up from the winter epic (variant e1), and the reminder is delivered.
  auto signed_up = post("/v1/reminders",
                        R"({"email":"reader@example.org","campaign":"winter","component":"epic",)"
                        R"("variant":"e1","remind_in":"PT1S","consent":true,)"
                        R"("consent_version":"2026-11"})");
  ASSERT_EQ(status(signed_up), 201) << (signed_up ? signed_up->body : "");
  const std::string reminder_id(json::parse(signed_up->body).at("id").as_string());
  const std::string reminder_token(json::parse(signed_up->body).at("manage_token").as_string());
  std::string reminder_status;
  for (int i = 0; i < 200 && reminder_status != "delivered"; ++i) {
    std::this_thread::sleep_for(50ms);
    auto r = client->get("/v1/reminders/" + reminder_id,
                         "Authorization: Bearer " + reminder_token + "\r\n");
    reminder_status =
        status(r) == 200 ? std::string(json::parse(r->body).at("status").as_string()) : "";
  }
  ASSERT_EQ(reminder_status, "delivered");

  // The same reader gives monthly from the winter banner: the reminder converted.
  auto monthly = pledge(R"("amount":"5","currency":"USD","interval":"month",)"
                        R"("email":"Reader@Example.org","campaign":"winter",)"
                        R"("component":"banner","variant":"a")");
  pay(monthly);
  ASSERT_EQ(wait_for_status(monthly, "active"), "active");

  // Another reader gives once, in euros, from variant b; Stripe sends the completion twice.
  auto once = pledge(R"("amount":"20","currency":"EUR","interval":"once",)"
                     R"("email":"other@example.org","campaign":"winter",)"
                     R"("component":"banner","variant":"b")");
  pay(once);
  ASSERT_EQ(wait_for_status(once, "paid"), "paid");

  // A monthly pledge cancelled the day it started; then its completion comes again, late.
  auto short_lived = pledge(R"("amount":"5","currency":"USD","interval":"month",)"
                            R"("email":"third@example.org","campaign":"winter",)"
                            R"("component":"banner","variant":"a")");
  pay(short_lived);
  ASSERT_EQ(wait_for_status(short_lived, "active"), "active");
  auto session = json::parse(stripe_api("GET", "/v1/checkout/sessions/" + session_of(short_lived)));
  stripe_api("DELETE", "/v1/subscriptions/" + std::string(session.at("subscription").as_string()));
  ASSERT_EQ(wait_for_status(short_lived, "canceled"), "canceled");
  const auto completions = events_of("checkout.session.completed");
  ASSERT_EQ(completions.size(), 3u);
  for (const auto& id : completions) {
    stripe_api("POST", "/__control/redeliver", R"({"id":")" + id + R"("})");
  }

  // A checkout left to expire, from the spring epic (no variant).
  auto abandoned = pledge(R"("amount":"3","currency":"USD","interval":"once",)"
                          R"("email":"fourth@example.org","campaign":"spring","component":"epic")");
  stripe_api("POST", "/v1/checkout/sessions/" + session_of(abandoned) + "/expire");
  ASSERT_EQ(wait_for_status(abandoned, "abandoned"), "abandoned");

  // A gift through a reminder's give link (its page says source=reminder), by someone whose
  // reminder this service never delivered.
  auto via_link = pledge(R"("amount":"3","currency":"USD","interval":"once",)"
                         R"("email":"fifth@example.org","campaign":"spring","component":"banner",)"
                         R"("page_url":"http://shop.test/give?source=reminder&campaign=spring")");
  pay(via_link);
  ASSERT_EQ(wait_for_status(via_link, "paid"), "paid");
  // The redelivered completions have been taken (they are duplicates): wait for the stream.
  std::this_thread::sleep_for(1s);

  const auto last_day = today();
  const auto range = "from=" + reports::day_text(first_day) + "&to=" + reports::day_text(last_day);
  auto answered = report(range + "&by=campaign,component,variant,currency,interval");
  ASSERT_EQ(status(answered), 200);
  EXPECT_EQ(answered->header("content-type"), "application/json");
  const json::array expected_rows = {
      row({"spring", "banner", "", "", ""}, {{"reminders_converted", 1}}, {}, nullptr, nullptr),
      row({"spring", "banner", "", "USD", "once"}, {{"pledges_created", 1}, {"pledges_paid", 1}},
          {{"USD", 300}}, 1.0, nullptr),
      row({"spring", "epic", "", "USD", "once"}, {{"pledges_created", 1}, {"pledges_abandoned", 1}},
          {}, 0.0, nullptr),
      row({"winter", "banner", "a", "USD", "month"},
          {{"pledges_created", 2},
           {"pledges_paid", 2},
           {"recurring_started", 2},
           {"canceled_within_30d", 1}},
          {{"USD", 1000}}, 1.0, nullptr),
      row({"winter", "banner", "b", "EUR", "once"}, {{"pledges_created", 1}, {"pledges_paid", 1}},
          {{"EUR", 2000}}, 1.0, nullptr),
      row({"winter", "epic", "e1", "", ""},
          {{"reminders_signed_up", 1}, {"reminders_delivered", 1}, {"reminders_converted", 1}}, {},
          nullptr, 1.0),
  };
  const json::value expected = {
      {"from", reports::day_text(first_day)},
      {"to", reports::day_text(last_day)},
      {"by", {"campaign", "component", "variant", "currency", "interval"}},
      {"rows", expected_rows}};
  EXPECT_EQ(json::parse(answered->body), expected) << answered->body;

  // By campaign, as CSV: money stays per currency.
  auto csv = report(range + "&by=campaign", "Accept: text/csv\r\n");
  ASSERT_EQ(status(csv), 200);
  EXPECT_EQ(csv->header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv->body,
            "campaign,pledges_created,pledges_paid,pledges_abandoned,pledges_failed,"
            "first_payment_minor_EUR,first_payment_minor_USD,recurring_started,"
            "canceled_within_30d,reminders_signed_up,reminders_delivered,"
            "reminders_unsubscribed,reminders_converted,checkout_conversion,"
            "reminder_conversion\r\n"
            "spring,2,1,1,0,0,300,0,0,0,0,0,1,0.5000,\r\n"
            "winter,3,3,0,0,2000,1000,2,1,1,1,0,1,1.0000,1.0000\r\n");
  EXPECT_EQ(report(range + "&by=campaign&format=csv")->body, csv->body);

  // Prometheus has the same counts, spring under `other` (not in --report-campaigns).
  const auto metrics = client->get("/metrics")->body;
  for (const auto* sample :
       {R"(supportd_report_events_total{counter="pledges_paid",campaign="winter",)"
        R"(component="banner"} 3)",
        R"(supportd_report_events_total{counter="canceled_within_30d",campaign="winter",)"
        R"(component="banner"} 1)",
        R"(supportd_report_events_total{counter="reminders_converted",campaign="winter",)"
        R"(component="epic"} 1)",
        R"(supportd_report_events_total{counter="reminders_delivered",campaign="winter",)"
        R"(component="epic"} 1)",
        R"(supportd_report_events_total{counter="pledges_abandoned",campaign="other",)"
        R"(component="epic"} 1)",
        R"(supportd_report_events_total{counter="reminders_converted",campaign="other",)"
        R"(component="banner"} 1)",
        R"(supportd_report_first_payment_minor_total{campaign="winter",component="banner",)"
        R"(currency="EUR"} 2000)",
        R"(supportd_report_first_payment_minor_total{campaign="other",component="banner",)"
        R"(currency="USD"} 300)"}) {
    EXPECT_NE(metrics.find(sample), std::string::npos) << sample;
  }
  EXPECT_EQ(metrics.find("campaign=\"spring\""), std::string::npos);

  // Erasing the reader leaves the counts: they name no one.
  auto erased = post("/admin/erasure", R"({"email":"reader@example.org"})",
                     std::string("Authorization: Bearer ") + admin_token + "\r\n");
  ASSERT_EQ(status(erased), 200) << (erased ? erased->body : "");
  EXPECT_EQ(report(range + "&by=campaign&format=csv")->body, csv->body);
}

TEST_F(Report, DaysAreAddedUpAcrossTheirBoundaryAndOnlyTheDaysAsked) {
  start();
  const auto day = today();
  const auto yesterday = reports::day_key("supportd:", day - 1);
  redis_cli("HINCRBY " + yesterday + " 'winter|banner|a|USD|month|pledges_created' 4");
  auto p = pledge(R"("amount":"5","currency":"USD","interval":"month",)"
                  R"("email":"reader@example.org","campaign":"winter","component":"banner",)"
                  R"("variant":"a")");
  ASSERT_FALSE(p.id.empty());
  auto count = [&](std::int64_t from, std::int64_t to) {
    auto r = report("from=" + reports::day_text(from) + "&to=" + reports::day_text(to));
    EXPECT_EQ(status(r), 200);
    return json::parse(r->body).at("rows").at(0).at("pledges_created").as_int64();
  };
  EXPECT_EQ(count(day - 1, day - 1), 4);
  EXPECT_EQ(count(day, today()), 1);
  EXPECT_EQ(count(day - 1, today()), 5);
  EXPECT_EQ(count(day - 30, day - 2), 0);
  // The counts are kept 400 days after their day.
  auto ttl = std::stoll(redis_cli("TTL " + reports::day_key("supportd:", day)));
  EXPECT_GT(ttl, 400 * 86'400);
  EXPECT_LE(ttl, 401 * 86'400);
}

TEST_F(Report, TheAdminTokenIsNeededAndTheRangeIsBounded) {
  start();
  auto anonymous = client->get("/admin/report?from=2027-01-01&to=2027-01-02");
  EXPECT_EQ(status(anonymous), 401);
  auto too_long = report("from=2026-01-01&to=2027-02-05");
  ASSERT_EQ(status(too_long), 422);
  EXPECT_EQ(too_long->header("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(too_long->body).at("type"),
            "https://supportd.dev/problems/report_range_too_long");
  auto malformed = report("from=2027-01-01&to=2027-01-02&by=page_url");
  EXPECT_EQ(status(malformed), 400);
  EXPECT_EQ(json::parse(malformed->body).at("type"),
            "https://supportd.dev/problems/invalid_report_query");
}

}  // namespace
}  // namespace supportd::test

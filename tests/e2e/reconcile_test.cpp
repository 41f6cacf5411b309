// The reconciliation with Stripe end to end: the real supportd, a real Redis restored from a
// backup behind its back, and fake-stripe's event log (GET /v1/events) as the source of truth.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "e2e/fake_stripe_peer.hpp"
#include "support/eventually.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

constexpr auto admin_token = "admin-token-for-reconcile-tests";

std::string bearer(const std::string& token) {
  return "Authorization: Bearer " + token + "\r\n";
}

// What a pledge's owner and the revenue figures see of it: what Stripe's events imply.
json::object outcome_of(const json::object& view) {
  json::object out;
  for (auto key : {"status", "charges_succeeded", "total_given_minor", "total_refunded_minor",
                   "consecutive_failures", "last_charge_at", "next_charge_at"}) {
    out[key] = view.at(key);
  }
  return out;
}

class Reconcile : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "webhook-secrets") << "whsec_reconcile\n";
    std::ofstream(dir.path() / "admin-token") << admin_token << "\n";
    stripe_port = free_port();
  }

  // supportd, then fake-stripe sending its webhooks to it, or to `webhooks_port` (where
  // nothing listens: every delivery fails) when given.
  void start(std::vector<std::string> extra, int webhooks_port = 0) {
    std::vector<std::string> args = {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secrets").string(),
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--admin-token-file=" + (dir.path() / "admin-token").string(),
        "--allowed-origins=http://shop.test",
        "--webhook-retry-after=1s",
        "--rate-limit-per-minute=0",
    };
    args.insert(args.end(), extra.begin(), extra.end());
    service = std::make_unique<supportd_process>(redis.url(), args);
    ASSERT_TRUE(service->wait_ready(10s));
    stripe =
        start_fake_stripe(dir.path(), stripe_port,
                          webhooks_port ? webhooks_port : service->http_port(), "whsec_reconcile");
  }

  // Each request on a connection of its own: a test this long outlives keep-alive's idle time.
  std::optional<raw_response> get(const std::string& path, const std::string& headers = "") {
    raw_client c(service->http_port(), false);
    return c.get(path, headers);
  }
  std::optional<raw_response> post(const std::string& path, const std::string& headers,
                                   const std::string& content_type = "",
                                   const std::string& body = "") {
    raw_client c(service->http_port(), false);
    c.send("POST " + path + " HTTP/1.1\r\nHost: support.test\r\n" + headers +
           (content_type.empty() ? "" : "Content-Type: " + content_type + "\r\n") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return c.read_response(20s);
  }

  std::string stripe_call(const std::string& method, const std::string& path,
                          const std::string& body = "") {
    return shell_output(
        "curl -sk -X " + method +
        " -H 'Authorization: Bearer sk_test_supportd' https://127.0.0.1:" +
        std::to_string(stripe_port) + path +
        (body.empty() ? "" : " -H 'Content-Type: application/json' -d '" + body + "'"));
  }

  // A pledge posted as the site's form would; {id, checkout URL}.
  std::pair<std::string, std::string> pledge(const std::string& amount, const std::string& currency,
                                             const std::string& interval) {
    const std::string body = R"({"amount":")" + amount + R"(","currency":")" + currency +
                             R"(","interval":")" + interval +
                             R"(","email":"reader@example.org","success_url":"http://shop.test/)"
                             R"(thanks","cancel_url":"http://shop.test/donate"})";
    auto created = post("/v1/pledges", "", "application/json", body);
    EXPECT_EQ(status(created), 201);
    if (status(created) != 201) {
      return {};
    }
    auto p = json::parse(created->body).as_object();
    return {std::string(p.at("id").as_string()), std::string(p.at("checkout_url").as_string())};
  }
  // The reader pays on the hosted page: Stripe's events follow.
  void pay(const std::string& checkout_url) {
    shell_output("curl -sk -o /dev/null -X POST '" + checkout_url + "'");
  }
  // An event fake-stripe makes about the pledge's subscription (or one-time session).
  void stripe_event(const std::string& type, const std::string& pledge_id) {
    const auto subscription = redis_field("pledge:" + pledge_id, "subscription_id");
    const auto about =
        subscription.empty()
            ? R"("session":")" + redis_field("pledge:" + pledge_id, "checkout_session_id") + "\""
            : R"("subscription":")" + subscription + "\"";
    auto made = json::parse(
        stripe_call("POST", "/__control/events", R"({"type":")" + type + "\"," + about + "}"));
    EXPECT_TRUE(made.as_object().contains("id")) << made;
  }
  std::string redis_field(const std::string& key, const std::string& field) {
    auto lines = redis.cli({"HGET", "supportd:" + key, field});
    return lines.empty() ? "" : lines.front();
  }

  json::object view(const std::string& id) {
    auto r = get("/v1/pledges/" + id, bearer(admin_token));
    return status(r) == 200 ? json::parse(r->body).as_object() : json::object{};
  }
  json::object summary() {
    auto r = get("/admin/summary", bearer(admin_token));
    return status(r) == 200 ? json::parse(r->body).as_object() : json::object{};
  }
  std::int64_t backlog() {
    auto s = summary();
    return s.contains("webhooks") ? s.at("webhooks").at("backlog").as_int64() : -1;
  }
  // Waits until the pledge's view satisfies `done`; the last view.
  json::object wait_for(const std::string& id,
                        const std::function<bool(const json::object&)>& done) {
    json::object last;
    eventually(
        [&] {
          last = view(id);
          return !last.empty() && done(last);
        },
        15s);
    return last;
  }

  std::optional<raw_response> post_reconcile(const std::string& token = admin_token) {
    return post("/admin/reconcile/stripe", bearer(token));
  }
  json::object reconcile_status() {
    auto r = get("/admin/reconcile/stripe", bearer(admin_token));
    EXPECT_EQ(status(r), 200) << last_lines();
    return status(r) == 200 ? json::parse(r->body).as_object() : json::object{};
  }
  // A series' value on /metrics; -1 when it is not there.
  std::int64_t metric(const std::string& series) {
    auto r = get("/metrics");
    if (!r) {
      return -1;
    }
    const auto body = "\n" + r->body;
    const auto at = body.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stoll(body.substr(at + series.size() + 2));
  }
  // Waits for `n` finished runs (of this process) with outcome ok; the last one's report.
  json::object wait_for_runs(std::int64_t n) {
    EXPECT_TRUE(eventually(
        [&] { return metric(R"(supportd_stripe_reconcile_runs_total{outcome="ok"})") >= n; }, 30s))
        << json::serialize(reconcile_status());
    auto s = reconcile_status();
    return s.at("last_run").is_object() ? s.at("last_run").as_object() : json::object{};
  }
  // supportd's last log lines, to show with a failure.
  std::string last_lines() {
    const auto lines = service->process().lines();
    std::string out;
    for (auto i = lines.size() > 15 ? lines.size() - 15 : 0; i < lines.size(); ++i) {
      out += lines[i] + "\n";
    }
    return out;
  }
  std::int64_t events_at_stripe() {
    auto list = json::parse(stripe_call("GET", "/v1/events?limit=100")).as_object();
    EXPECT_FALSE(list.at("has_more").as_bool());
    return static_cast<std::int64_t>(list.at("data").as_array().size());
  }

  temp_dir dir;
  redis_server redis;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<child_process> stripe;
};

// Writes acknowledged to Stripe's webhooks are lost (Redis comes back from an older backup) and,
// on top of that, every dedupe mark is deleted; one reconciliation later every pledge's state,
// charges and totals, and the revenue figures, are what Stripe's events imply, without a charge
// counted twice. The next reconciliation finds nothing to do.
TEST_F(Reconcile, OneRunRepairsWhatARestoredBackupLostAndCountsNothingTwice) {
  start({"--stripe-reconcile-interval=0"});
  // Before the backup: four pledges paid, one posted and not yet paid.
  auto [a, a_url] = pledge("5", "USD", "month");
  auto [b, b_url] = pledge("7", "EUR", "month");
  auto [c, c_url] = pledge("9", "USD", "month");
  auto [d, d_url] = pledge("120", "USD", "year");
  auto [e, e_url] = pledge("10", "EUR", "once");
  auto [f, f_url] = pledge("3", "USD", "month");
  for (const auto& url : {a_url, b_url, c_url, d_url, e_url}) {
    pay(url);
  }
  for (const auto& id : {a, b, c, d}) {
    EXPECT_EQ(
        wait_for(id, [](const auto& p) { return p.at("charges_succeeded") == 1; }).at("status"),
        "active");
  }
  EXPECT_EQ(wait_for(e, [](const auto& p) { return p.at("status") == "paid"; }).at("status"),
            "paid");
  ASSERT_TRUE(eventually([&] { return backlog() == 0; }, 15s));

  // The backup: Redis's append-only files as they are (every write is fsynced).
  const fs::path redis_dir = redis.cli({"CONFIG", "GET", "dir"}).at(1);
  const auto backup = dir.path() / "backup";
  fs::copy(redis_dir / "appendonlydir", backup, fs::copy_options::recursive);

  // After it: a renewal, a failure and its retry, an end, a failed yearly renewal, a refund,
  // and the last pledge paid.
  stripe_event("invoice.paid", a);
  stripe_event("invoice.payment_failed", b);
  stripe_event("invoice.paid", b);
  stripe_event("customer.subscription.deleted", c);
  stripe_event("invoice.payment_failed", d);
  stripe_event("charge.refunded", e);
  pay(f_url);
  std::map<std::string, json::object> expected;
  expected[a] =
      outcome_of(wait_for(a, [](const auto& p) { return p.at("charges_succeeded") == 2; }));
  expected[b] =
      outcome_of(wait_for(b, [](const auto& p) { return p.at("charges_succeeded") == 2; }));
  expected[c] = outcome_of(wait_for(c, [](const auto& p) { return p.at("status") == "canceled"; }));
  expected[d] = outcome_of(wait_for(d, [](const auto& p) { return p.at("status") == "past_due"; }));
  expected[e] = outcome_of(wait_for(e, [](const auto& p) { return p.at("status") == "refunded"; }));
  expected[f] = outcome_of(wait_for(f, [](const auto& p) { return p.at("status") == "active"; }));
  EXPECT_EQ(expected[a].at("total_given_minor"), 1000);
  EXPECT_EQ(expected[b].at("status"), "active");
  EXPECT_EQ(expected[b].at("consecutive_failures"), 0);
  EXPECT_EQ(expected[d].at("consecutive_failures"), 1);
  EXPECT_EQ(expected[e].at("total_refunded_minor"), 1000);
  ASSERT_TRUE(eventually([&] { return backlog() == 0; }, 15s));
  const auto figures = summary().at("pledges").as_object();
  EXPECT_EQ(figures.at("mrr_minor").at("USD"), 500 + 1000 + 300);  // a, d (past due), f
  EXPECT_EQ(figures.at("mrr_minor").at("EUR"), 700);

  // Redis comes back from the backup, and every dedupe mark goes too.
  redis.kill();
  fs::remove_all(redis_dir / "appendonlydir");
  fs::copy(backup, redis_dir / "appendonlydir", fs::copy_options::recursive);
  redis.restart();
  ASSERT_TRUE(service->wait_ready(10s));
  auto marks = redis.cli({"--scan", "--pattern", "supportd:seen:*"});
  ASSERT_FALSE(marks.empty());
  for (const auto& key : marks) {
    redis.cli({"DEL", key});
  }
  EXPECT_EQ(view(a).at("charges_succeeded"), 1);
  EXPECT_EQ(view(f).at("status"), "pending");
  EXPECT_EQ(view(e).at("status"), "paid");

  auto started = post_reconcile();
  ASSERT_EQ(status(started), 202) << (started ? started->body : "");
  EXPECT_EQ(started->header("location"), "/admin/reconcile/stripe");
  auto said = json::parse(started->body).as_object();
  EXPECT_EQ(said.at("started"), true);
  EXPECT_EQ(said.at("first_run"), true);  // the backup predates any run
  auto report = wait_for_runs(1);
  const auto listed = events_at_stripe();
  EXPECT_EQ(report.at("outcome"), "ok");
  EXPECT_EQ(report.at("trigger"), "admin");
  EXPECT_EQ(report.at("listed"), listed);
  EXPECT_EQ(report.at("fed"), listed);  // no event kept its mark
  EXPECT_EQ(report.at("already_applied"), 0);

  for (const auto& [id, want] : expected) {
    json::object got;
    EXPECT_TRUE(eventually(
        [&] {
          got = outcome_of(view(id));
          return got == want;
        },
        15s))
        << id << ": " << json::serialize(got) << " instead of " << json::serialize(want);
  }
  ASSERT_TRUE(eventually([&] { return backlog() == 0; }, 15s));
  const auto repaired = summary().at("pledges").as_object();
  EXPECT_EQ(repaired.at("active"), figures.at("active"));
  EXPECT_EQ(repaired.at("mrr_minor"), figures.at("mrr_minor"));

  // The checkpoint is kept, and a second run finds every event applied: nothing changes.
  auto status_now = reconcile_status();
  EXPECT_EQ(status_now.at("running"), false);
  EXPECT_TRUE(status_now.at("checkpoint").is_string());
  EXPECT_FALSE(redis_field("stripe:reconcile", "checkpoint").empty());
  ASSERT_EQ(status(post_reconcile()), 202);
  report = wait_for_runs(2);
  EXPECT_EQ(report.at("listed"), listed);  // within the checkpoint's overlap
  EXPECT_EQ(report.at("already_applied"), listed);
  EXPECT_EQ(report.at("fed"), 0);
  std::this_thread::sleep_for(500ms);
  for (const auto& [id, want] : expected) {
    EXPECT_EQ(outcome_of(view(id)), want) << id;
  }
  EXPECT_EQ(metric(R"(supportd_stripe_reconcile_events_total{outcome="fed"})"), listed);
  EXPECT_EQ(metric(R"(supportd_stripe_reconcile_events_total{outcome="already_applied"})"), listed);
  EXPECT_GE(metric("supportd_stripe_reconcile_checkpoint_age_seconds"), 0);
  // Its log lines name counts and times, never a reader.
  for (const auto& line : service->process().lines()) {
    EXPECT_EQ(line.find("reader@example.org"), std::string::npos) << line;
  }
}

// Stripe's webhooks never arrive (the endpoint is registered wrong): the scheduled
// reconciliation applies the events anyway.
TEST_F(Reconcile, TheScheduleAppliesEventsWhoseWebhooksNeverCame) {
  start({"--stripe-reconcile-interval=1s"}, free_port());
  auto [id, url] = pledge("5", "USD", "month");
  pay(url);
  auto paid = wait_for(id, [](const auto& p) { return p.at("charges_succeeded") == 1; });
  EXPECT_EQ(paid.at("status"), "active");
  EXPECT_EQ(paid.at("total_given_minor"), 500);
  auto s = reconcile_status();
  EXPECT_EQ(s.at("enabled"), true);
  EXPECT_EQ(s.at("interval_seconds"), 1);
  EXPECT_EQ(s.at("last_run").at("trigger"), "schedule");
  EXPECT_TRUE(service->process().wait_for_line(
      [](const std::string& l) {
        return l.find(R"("msg":"stripe reconciliation finished")") != std::string::npos &&
               l.find(R"("trigger":"schedule")") != std::string::npos;
      },
      5s));
  // No delivery ever reached supportd.
  auto deliveries = json::parse(stripe_call("GET", "/__control/deliveries")).as_array();
  ASSERT_FALSE(deliveries.empty());
  for (const auto& d : deliveries) {
    EXPECT_TRUE(d.at("status").is_null()) << d;
  }
}

TEST_F(Reconcile, TheAdminRouteNeedsTheTokenRunsOneAtATimeAndReportsAnExpiredCheckpoint) {
  start({"--stripe-reconcile-interval=0"});
  EXPECT_EQ(status(post_reconcile("not-the-token")), 401);
  EXPECT_EQ(status(get("/admin/reconcile/stripe")), 401);
  auto idle = reconcile_status();
  EXPECT_EQ(idle.at("running"), false);
  EXPECT_TRUE(idle.at("checkpoint").is_null());
  EXPECT_TRUE(idle.at("last_run").is_null());

  // Another replica's run holds the lease.
  redis.cli({"SET", "supportd:stripe:reconcile:lease", "another-replica", "PX", "60000"});
  auto busy = post_reconcile();
  ASSERT_EQ(status(busy), 409);
  EXPECT_EQ(busy->header("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(busy->body).at("code"), "reconcile_running");
  EXPECT_EQ(reconcile_status().at("running"), true);
  redis.cli({"DEL", "supportd:stripe:reconcile:lease"});

  // A checkpoint older than Stripe keeps events: reported, and the run starts at the oldest.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  redis.cli({"HSET", "supportd:stripe:reconcile", "checkpoint", std::to_string(now - 40 * 86'400)});
  auto started = post_reconcile();
  ASSERT_EQ(status(started), 202);
  EXPECT_EQ(json::parse(started->body).at("checkpoint_expired"), true);
  auto report = wait_for_runs(1);
  EXPECT_EQ(report.at("checkpoint_expired"), true);
  EXPECT_EQ(metric("supportd_stripe_reconcile_checkpoint_expired_total"), 1);
  EXPECT_TRUE(service->process().wait_for_line(
      [](const std::string& l) {
        return l.find("older than Stripe keeps events") != std::string::npos &&
               l.find(R"("level":"error")") != std::string::npos;
      },
      5s));
  const auto requests = json::parse(stripe_call("GET", "/__control/requests")).as_array();
  ASSERT_FALSE(requests.empty());
  const auto& asked = requests.back().at("params").as_object();
  const auto since = std::stoll(std::string(asked.at("created[gte]").as_string()));
  EXPECT_NEAR(static_cast<double>(since), static_cast<double>(now - 30 * 86'400), 60);
  EXPECT_EQ(asked.at("types[0]"), "checkout.session.completed");
  EXPECT_EQ(requests.back().at("method"), "GET");
  EXPECT_EQ(requests.back().at("path"), "/v1/events");
}

TEST_F(Reconcile, WithoutWebhookSecretsItIsOffAndSaysWhy) {
  supportd_process plain(redis.url(),
                         {"--admin-token-file=" + (dir.path() / "admin-token").string(),
                          "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string()});
  ASSERT_TRUE(plain.wait_ready(10s));
  raw_client c(plain.http_port(), false);
  c.send("POST /admin/reconcile/stripe HTTP/1.1\r\nHost: x\r\n" + bearer(admin_token) +
         "Content-Length: 0\r\n\r\n");
  auto off = c.read_response(10s);
  ASSERT_EQ(status(off), 503);
  EXPECT_EQ(json::parse(off->body).at("code"), "reconcile_off");
  EXPECT_NE(json::parse(off->body).at("detail").as_string().find("--stripe-webhook-secret-file"),
            std::string::npos);
  auto s = c.get("/admin/reconcile/stripe", bearer(admin_token));
  ASSERT_EQ(status(s), 200);
  EXPECT_EQ(json::parse(s->body).at("enabled"), false);
}

}  // namespace
}  // namespace supportd::test

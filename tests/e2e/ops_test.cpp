// What ops people read, end to end: the admin summary, the rebuild of the pledge stats, and the
// recurring pledge gauges, with pledges paid on fake-stripe's checkout page as readers would.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/fake_stripe_peer.hpp"
#include "support/eventually.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto admin_token = "admin-token-for-ops-tests";

std::string bearer(const std::string& token) {
  return "Authorization: Bearer " + token + "\r\n";
}

class OpsAdmin : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "webhook-secrets") << "whsec_ops\n";
    std::ofstream(dir.path() / "admin-token") << admin_token << "\n";
    stripe_port = free_port();
  }

  // supportd (with the admin token unless told otherwise), then fake-stripe sending its
  // webhooks to it.
  void start(bool with_admin_token = true) {
    std::vector<std::string> args = {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secrets").string(),
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--allowed-origins=http://shop.test",
        "--rate-limit-per-minute=0",
    };
    if (with_admin_token) {
      args.push_back("--admin-token-file=" + (dir.path() / "admin-token").string());
    }
    service = std::make_unique<supportd_process>(redis.url(), args);
    ASSERT_TRUE(service->wait_ready(10s));
    stripe = start_fake_stripe(dir.path(), stripe_port, service->http_port(), "whsec_ops");
  }

  // A pledge paid on the hosted checkout page; its id.
  std::string pay(raw_client& client, const std::string& amount, const std::string& currency,
                  const std::string& interval) {
    const std::string body = R"({"amount":")" + amount + R"(","currency":")" + currency +
                             R"(","interval":")" + interval +
                             R"(","email":"reader@example.org","success_url":"http://shop.test/)"
                             R"(thanks","cancel_url":"http://shop.test/donate"})";
    client.send(
        "POST /v1/pledges HTTP/1.1\r\nHost: support.test\r\nContent-Type: "
        "application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    auto created = client.read_response(20s);
    EXPECT_EQ(status(created), 201);
    if (status(created) != 201) {
      return {};
    }
    auto pledge = json::parse(created->body).as_object();
    shell_output("curl -sk -o /dev/null -X POST '" +
                 std::string(pledge.at("checkout_url").as_string()) + "'");
    return std::string(pledge.at("id").as_string());
  }

  json::object summary(raw_client& client) {
    auto r = client.get("/admin/summary", bearer(admin_token));
    EXPECT_EQ(status(r), 200);
    return status(r) == 200 ? json::parse(r->body).as_object() : json::object{};
  }

  json::object reconcile(raw_client& client) {
    client.send("POST /admin/reconcile HTTP/1.1\r\nHost: x\r\n" + bearer(admin_token) +
                "Content-Length: 0\r\n\r\n");
    auto r = client.read_response(20s);
    EXPECT_EQ(status(r), 200);
    return status(r) == 200 ? json::parse(r->body).as_object() : json::object{};
  }

  static std::int64_t at(const json::object& o, std::string_view group, std::string_view key) {
    const auto* g = o.if_contains(group);
    const auto* v = g && g->is_object() ? g->as_object().if_contains(key) : nullptr;
    return v && v->is_int64() ? v->as_int64() : -1;
  }

  temp_dir dir;
  redis_server redis;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<child_process> stripe;
};

TEST_F(OpsAdmin, SummaryAndReconcileNeedTheAdminToken) {
  start();
  raw_client client(service->http_port(), false);
  auto anonymous = client.get("/admin/summary");
  EXPECT_EQ(status(anonymous), 401);
  EXPECT_EQ(anonymous->header("www-authenticate"), "Bearer");
  EXPECT_EQ(anonymous->header("content-type"), "application/problem+json");
  EXPECT_EQ(status(client.get("/admin/summary", bearer("not-the-token"))), 401);
  client.send("POST /admin/reconcile HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(status(client.read_response()), 401);
  client.send("POST /admin/reconcile HTTP/1.1\r\nHost: x\r\n" + bearer("not-the-token") +
              "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(status(client.read_response()), 401);
  EXPECT_EQ(status(client.get("/admin/reconcile", bearer(admin_token))), 405);
}

TEST_F(OpsAdmin, WithoutAnAdminTokenTheEndpointsAreOff) {
  start(false);
  raw_client client(service->http_port(), false);
  auto off = client.get("/admin/summary", bearer(admin_token));
  EXPECT_EQ(status(off), 503);
  EXPECT_NE(off->body.find(R"("code":"admin_off")"), std::string::npos);
}

TEST_F(OpsAdmin, EmptyStoreHasTheWholeShapeAndTheGaugesFromStart) {
  start();
  raw_client client(service->http_port(), false);
  auto metrics = client.get("/metrics")->body;
  for (const auto* line :
       {"# HELP supportd_pledges_active ", "# TYPE supportd_pledges_active gauge\n",
        "# HELP supportd_pledges_mrr_minor ", "# TYPE supportd_pledges_mrr_minor gauge\n"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line;
  }
  auto s = summary(client);
  EXPECT_EQ(s.at("pledges").at("active"), json::object{});
  EXPECT_EQ(s.at("pledges").at("mrr_minor"), json::object{});
  EXPECT_TRUE(s.at("pledges").at("stats_reconciled_at").is_null());
  for (const auto* key : {"pending", "overdue", "in_flight", "dead"}) {
    EXPECT_EQ(at(s, "reminders", key), 0) << key;
  }
  EXPECT_EQ(at(s, "webhooks", "backlog"), 0);
  EXPECT_EQ(at(s, "webhooks", "dead_letters"), 0);

  auto r = reconcile(client);
  EXPECT_EQ(r.at("scanned").as_int64(), 0);
  EXPECT_EQ(r.at("active"), json::object{});
  EXPECT_FALSE(r.at("corrected").as_bool());
  EXPECT_TRUE(summary(client).at("pledges").at("stats_reconciled_at").is_string());
}

TEST_F(OpsAdmin, PaidPledgesShowInSummaryGaugesAndReconcile) {
  start();
  raw_client client(service->http_port(), false);
  pay(client, "5", "USD", "month");
  pay(client, "60", "EUR", "year");  // 6000 minor units a year: 500 a month
  pay(client, "12", "USD", "once");  // a one-off gift is not recurring revenue
  // The gauges: every replica reads the same hashes, at start and every 5 s.
  ASSERT_TRUE(eventually([&] {
    auto m = client.get("/metrics")->body;
    return m.find("supportd_pledges_active{currency=\"USD\"} 1\n") != std::string::npos &&
           m.find("supportd_pledges_active{currency=\"EUR\"} 1\n") != std::string::npos &&
           m.find("supportd_pledges_mrr_minor{currency=\"EUR\"} 500\n") != std::string::npos &&
           m.find("supportd_pledges_mrr_minor{currency=\"USD\"} 500\n") != std::string::npos;
  })) << client.get("/metrics")->body;

  // The summary reads the same hashes.
  auto s = summary(client);
  EXPECT_EQ(s.at("pledges").at("active"), (json::object{{"EUR", 1}, {"USD", 1}}));
  EXPECT_EQ(s.at("pledges").at("mrr_minor"), (json::object{{"EUR", 500}, {"USD", 500}}));
  EXPECT_EQ(at(s, "webhooks", "dead_letters"), 0);

  // The hashes agree with the pledges...
  auto r = reconcile(client);
  EXPECT_EQ(r.at("scanned").as_int64(), 3);
  EXPECT_EQ(r.at("active"), (json::object{{"EUR", 1}, {"USD", 1}}));
  EXPECT_EQ(r.at("mrr_minor"), (json::object{{"EUR", 500}, {"USD", 500}}));
  EXPECT_FALSE(r.at("corrected").as_bool());

  // ...until someone damages them; the rebuild puts them right, and the gauges follow.
  redis.cli({"HSET", "supportd:stats:active", "USD", "7", "CHF", "2"});
  EXPECT_EQ(summary(client).at("pledges").at("active").at("USD").as_int64(), 7);
  r = reconcile(client);
  EXPECT_TRUE(r.at("corrected").as_bool());
  EXPECT_EQ(r.at("before").at("active"), (json::object{{"CHF", 2}, {"EUR", 1}, {"USD", 7}}));
  EXPECT_EQ(r.at("active"), (json::object{{"EUR", 1}, {"USD", 1}}));
  EXPECT_EQ(summary(client).at("pledges").at("active"), (json::object{{"EUR", 1}, {"USD", 1}}));
  auto m = client.get("/metrics")->body;
  EXPECT_NE(m.find("supportd_pledges_active{currency=\"USD\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("supportd_pledges_active{currency=\"CHF\"} 0\n"), std::string::npos) << m;

  // Every admin call is logged with what it did (written out within a tenth of a second); no
  // pledge ids, addresses or tokens.
  auto logged = [&](std::string_view message) {
    std::vector<std::string> found;
    for (const auto& line : service->process().lines()) {
      if (line.find("\"msg\":\"" + std::string(message) + "\"") != std::string::npos) {
        found.push_back(line);
      }
    }
    return found;
  };
  ASSERT_TRUE(eventually([&] { return logged("admin reconciled pledge stats").size() == 2; }));
  EXPECT_NE(logged("admin reconciled pledge stats")[1].find(R"("corrected":true)"),
            std::string::npos);
  EXPECT_FALSE(logged("admin read the summary").empty());
  for (const auto& line : service->process().lines()) {
    EXPECT_EQ(line.find("example.org"), std::string::npos) << line;
    EXPECT_EQ(line.find(admin_token), std::string::npos) << line;
    if (line.find(R"("msg":"admin )") != std::string::npos) {
      EXPECT_EQ(line.find("\"pl_"), std::string::npos) << line;
    }
  }

  // The exposition with these samples still passes promtool's checks.
  auto file = dir.path() / "metrics.txt";
  std::ofstream(file) << client.get("/metrics")->body;
  auto complaints = shell_output("promtool check metrics < '" + file.string() + "' 2>&1");
  EXPECT_EQ(complaints, "");
}

// The webhook dead letters an admin reads come a page at a time, each once, without the event's
// body (it may hold personal data); a bad cursor is a 422; a replayed one leaves the list.
TEST_F(OpsAdmin, WebhookDeadLettersAreListedAPageAtATimeWithoutBodies) {
  start();
  constexpr int letters = 150;
  std::vector<std::string> hset = {"HSET", "supportd:stripe:dead"};
  for (int k = 0; k < letters; ++k) {
    const auto id = std::to_string(1700000000000 + k) + "-0";
    hset.push_back(id);
    hset.push_back(json::serialize(json::object{{"id", id},
                                                {"event_id", "evt_dead_" + std::to_string(k)},
                                                {"type", "invoice.paid"},
                                                {"error", "store unavailable or update failed"},
                                                {"attempts", 5},
                                                {"received_ms", 1700000000000 + k},
                                                {"body", R"({"email":"reader@example.org"})"}}));
  }
  redis.cli(hset);

  raw_client client(service->http_port(), false);
  EXPECT_EQ(status(client.get("/admin/dead-letters")), 401);
  auto refused = client.get("/admin/dead-letters?cursor=12abc", bearer(admin_token));
  ASSERT_EQ(status(refused), 422);
  EXPECT_EQ(json::parse(refused->body).at("errors").at(0).at("field").as_string(), "cursor");

  std::set<std::string> seen;
  std::string cursor = "0";
  int pages = 0;
  for (bool done = false; !done && pages < 50; ++pages) {
    auto page = client.get("/admin/dead-letters?cursor=" + cursor, bearer(admin_token));
    ASSERT_EQ(status(page), 200);
    auto answer = json::parse(page->body).as_object();
    for (const auto& letter : answer.at("dead_letters").as_array()) {
      EXPECT_FALSE(letter.as_object().contains("body"));
      EXPECT_TRUE(seen.insert(std::string(letter.at("id").as_string())).second);
    }
    cursor = answer.at("cursor").as_string();
    done = answer.at("done").as_bool();
    EXPECT_EQ(done, cursor == "0");
  }
  EXPECT_EQ(seen.size(), std::size_t{letters});
  EXPECT_GE(pages, 2);  // more than one page for 150

  const std::string replay =
      "POST /admin/dead-letters/1700000000000-0/replay HTTP/1.1\r\nHost: x\r\n" +
      bearer(admin_token) + "Content-Length: 0\r\n\r\n";
  client.send(replay);
  EXPECT_EQ(status(client.read_response()), 202);
  client.send(replay);
  EXPECT_EQ(status(client.read_response()), 404);  // already taken out
  EXPECT_EQ(redis.cli({"HEXISTS", "supportd:stripe:dead", "1700000000000-0"}).front(), "0");
}

// --listen-ops: what only orchestrators, Prometheus and ops people need is served there, and
// answers 404 on the public listeners, where readers (and anyone on the internet) arrive.
TEST_F(OpsAdmin, OpsRoutesAreServedOnTheOpsListenerOnly) {
  std::vector<std::string> args = {
      "--admin-token-file=" + (dir.path() / "admin-token").string(),
      "--listen-ops=127.0.0.1:0",
  };
  service = std::make_unique<supportd_process>(redis.url(), args);
  ASSERT_NE(service->ops_port(), 0);
  ASSERT_TRUE(service->wait_ready(10s));

  raw_client ops(service->ops_port(), false);
  raw_client plain(service->http_port(), false);
  raw_client tls(service->https_port(), true);
  for (auto* public_client : {&plain, &tls}) {
    EXPECT_EQ(status(public_client->get("/healthz")), 200);
    EXPECT_EQ(status(public_client->get("/metrics")), 404);
    EXPECT_EQ(status(public_client->get("/readyz")), 404);
    EXPECT_EQ(status(public_client->get("/admin/summary", bearer(admin_token))), 404);
    EXPECT_EQ(status(public_client->get("/admin/dead-letters", bearer(admin_token))), 404);
  }
  EXPECT_EQ(status(ops.get("/healthz")), 200);
  EXPECT_EQ(status(ops.get("/readyz")), 200);
  auto metrics = ops.get("/metrics");
  ASSERT_EQ(status(metrics), 200);
  EXPECT_NE(metrics->body.find("supportd_http_requests_total"), std::string::npos);
  EXPECT_EQ(status(ops.get("/admin/summary", bearer(admin_token))), 200);
  EXPECT_EQ(status(ops.get("/admin/summary")), 401);
  // Readers' routes are not on the ops listener.
  EXPECT_EQ(status(ops.get("/v1/reminders/unsubscribe")), 404);
}

// The process metrics every Prometheus client library exports, under the same names, so the
// usual dashboards and alerts work on supportd as they are.
TEST_F(OpsAdmin, StandardProcessMetricsAreExported) {
  start();
  raw_client client(service->http_port(), false);
  auto body = client.get("/metrics")->body;
  auto sample = [&](const std::string& name) -> double {
    auto at = body.find("\n" + name + " ");
    EXPECT_NE(at, std::string::npos) << name << " missing:\n" << body;
    return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
  };
  EXPECT_NE(body.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  EXPECT_GE(sample("process_cpu_seconds_total"), 0.0);
  EXPECT_GT(sample("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(sample("process_virtual_memory_bytes"), sample("process_resident_memory_bytes"));
  EXPECT_GT(sample("process_open_fds"), 3);
  EXPECT_GE(sample("process_max_fds"), sample("process_open_fds"));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double started = sample("process_start_time_seconds");
  EXPECT_GT(started, now - 120);
  EXPECT_LE(started, now + 1);
}

}  // namespace
}  // namespace supportd::test

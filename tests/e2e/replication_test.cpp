// --redis-wait-replicas end to end: the real supportd on a real primary with a real replica.
// While the replica confirms, pledges, sign-ups and webhooks are acknowledged and the replica
// holds them; while it is stopped, each is answered 503 within about --redis-wait-timeout, the
// connection to the primary stays up, and the same requests succeed once it is back.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <functional>

#include "e2e/acknowledged_writes.hpp"
#include "support/raw_client.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// The value of one series in a Prometheus text exposition; -1 when it is not there.
double metric(const std::string& exposition, const std::string& series) {
  auto at = exposition.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(exposition.substr(at + series.size() + 2));
}

struct timed_response {
  std::optional<raw_response> response;
  std::chrono::milliseconds took{};
};

timed_response send(raw_client& client, const std::string& request) {
  const auto started = std::chrono::steady_clock::now();
  client.send(request);
  auto r = client.read_response(10s);
  return {std::move(r), std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)};
}

class Replication : public ::testing::Test {
 protected:
  void SetUp() override { replica = redis_server::replica_of(primary); }

  // A 503 of the kind a lagging replica causes, answered within about the wait timeout.
  static void expect_not_replicated(const timed_response& r) {
    ASSERT_TRUE(r.response);
    EXPECT_EQ(r.response->status, 503) << r.response->body;
    EXPECT_EQ(r.response->header("content-type"), "application/problem+json");
    EXPECT_EQ(json::parse(r.response->body).at("code"), "store_not_replicated");
    EXPECT_EQ(r.response->header("retry-after"), "1");
    EXPECT_GE(r.took, 950ms);
    EXPECT_LT(r.took, 2500ms);
  }

  redis_server primary;
  std::unique_ptr<redis_server> replica;
};

TEST_F(Replication, AcknowledgedWritesAreOnTheReplicaAndAStoppedReplicaMeans503) {
  writing_service service(primary.url(), {"--redis-wait-replicas=1", "--redis-wait-timeout=1s"});
  raw_client client(service.http_port(), false);

  // The replica confirms: each write is acknowledged, and the replica already holds it.
  auto pledge = send(client, pledge_request("order-1"));
  ASSERT_EQ(status(pledge.response), 201) << pledge.response->body;
  const auto pledge_id = id_of(pledge.response->body);
  EXPECT_TRUE(pledge_stored(*replica, pledge_id));
  auto signup = send(client, signup_request("first@example.org"));
  ASSERT_EQ(status(signup.response), 201) << signup.response->body;
  EXPECT_TRUE(reminder_stored(*replica, id_of(signup.response->body)));
  auto webhook = send(client, webhook_request("evt_confirmed", pledge_id));
  ASSERT_EQ(status(webhook.response), 200) << webhook.response->body;
  EXPECT_TRUE(webhook_events_kept(*replica).contains("evt_confirmed"));
  auto form = send(client, pledge_form_request("form%40example.org"));
  ASSERT_EQ(status(form.response), 303);

  // The replica stops answering (as a hung or partitioned one would).
  replica->pause();
  auto unconfirmed_pledge = send(client, pledge_request("order-2"));
  expect_not_replicated(unconfirmed_pledge);
  // The same request again, before the replica is back: the stored answer is not replayed yet.
  expect_not_replicated(send(client, pledge_request("order-2")));
  expect_not_replicated(send(client, pledge_form_request("late%40example.org")));
  expect_not_replicated(send(client, signup_request("second@example.org")));
  expect_not_replicated(send(client, webhook_request("evt_unconfirmed", pledge_id)));
  // The instance stays ready and its connection to the primary up: only acknowledgements wait.
  auto ready = client.get("/readyz");
  EXPECT_EQ(status(ready), 200);
  auto metrics = client.get("/metrics")->body;
  EXPECT_EQ(metric(metrics, "supportd_redis_reconnects_total"), 0);
  EXPECT_EQ(metric(metrics, R"(supportd_redis_command_errors_total{kind="timeout"})"), 0);
  EXPECT_EQ(metric(metrics, R"(supportd_redis_replica_waits_total{outcome="not_replicated"})"), 5);
  EXPECT_EQ(metric(metrics, R"(supportd_redis_replica_waits_total{outcome="confirmed"})"), 4);

  // Back: the retries succeed. The pledge's Idempotency-Key replays what was stored for it, now
  // that the replica has it; Stripe's retried event is taken.
  replica->resume();
  ASSERT_TRUE(replica->wait_linked(5s));
  auto replayed = send(client, pledge_request("order-2"));
  ASSERT_EQ(status(replayed.response), 201) << replayed.response->body;
  EXPECT_EQ(replayed.response->header("idempotent-replayed"), "true");
  const auto second_id = id_of(replayed.response->body);
  EXPECT_TRUE(pledge_stored(*replica, second_id));
  auto form_again = send(client, pledge_form_request("late%40example.org"));
  EXPECT_EQ(status(form_again.response), 303);
  auto webhook_again = send(client, webhook_request("evt_unconfirmed", pledge_id));
  EXPECT_EQ(status(webhook_again.response), 200);
  EXPECT_TRUE(webhook_events_kept(*replica).contains("evt_unconfirmed"));
}

TEST_F(Replication, WithoutWaitingAStoppedReplicaChangesNothing) {
  writing_service service(primary.url());
  raw_client client(service.http_port(), false);
  replica->pause();
  auto pledge = send(client, pledge_request("order-3"));
  EXPECT_EQ(status(pledge.response), 201);
  EXPECT_LT(pledge.took, 950ms);
  auto metrics = client.get("/metrics")->body;
  EXPECT_EQ(metric(metrics, R"(supportd_redis_replica_waits_total{outcome="confirmed"})"), 0);
  replica->resume();
}

}  // namespace
}  // namespace supportd::test

// supportd against Redis as production runs it: over TLS with a private CA, logged in as an ACL
// user; and what it does when either is wrong. The real binary, real redis-server, fake-stripe.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
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

class RedisAsProductionRunsIt : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    write_secret("stripe-secret", "sk_test_supportd");
    write_secret("webhook-secrets", "whsec_redis");
    write_secret("redis-password", "right-password");
    write_secret("wrong-password", "wrong-password");
    stripe_port = free_port();
  }

  void write_secret(const std::string& name, const std::string& value) {
    std::ofstream(dir.path() / name) << value << "\n";
    std::filesystem::permissions(dir.path() / name, std::filesystem::perms(0600));
  }

  // supportd on the TLS port as the ACL user, with `ca` as the CA and `password_file`.
  void start(const std::string& ca, const std::string& password_file) {
    service = std::make_unique<supportd_process>(
        "rediss://127.0.0.1:" + std::to_string(redis.tls_port()) + "/0",
        std::vector<std::string>{
            "--redis-ca-file=" + (certs.path() / ca).string(),
            "--redis-username=supportd",
            "--redis-password-file=" + (dir.path() / password_file).string(),
            "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secrets").string(),
            "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
            "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
            "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
            "--allowed-origins=http://shop.test",
            "--rate-limit-per-minute=0",
        });
  }

  int readyz() {
    raw_client client(service->http_port(), false);
    return status(client.get("/readyz"));
  }

  std::size_t log_lines_with(const std::string& text) {
    std::size_t n = 0;
    for (const auto& line : service->process().lines()) {
      n += line.find(text) != std::string::npos;
    }
    return n;
  }

  // A certificate for 127.0.0.1 that is its own CA, and one from another "CA".
  struct certificates {
    certificates() {
      make_certificate(dir.path() / "redis.pem", dir.path() / "redis.key", "redis");
      make_certificate(dir.path() / "other.pem", dir.path() / "other.key", "other");
    }
    const std::filesystem::path& path() const { return dir.path(); }
    temp_dir dir;
  };

  temp_dir dir;
  certificates certs;
  // The default user stays for the test's own redis-cli on the plain port.
  redis_server redis{redis_server::tls_files{.cert = (certs.path() / "redis.pem").string(),
                                             .key = (certs.path() / "redis.key").string(),
                                             .ca = (certs.path() / "redis.pem").string()},
                     {"--user", "default", "on", "nopass", "~*", "+@all", "--user", "supportd",
                      "on", ">right-password", "~supportd:*", "+@all", "-@dangerous", "+info"}};
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<child_process> stripe;
};

TEST_F(RedisAsProductionRunsIt, PledgesAndWebhooksOverTlsAsAnAclUser) {
  start("redis.pem", "redis-password");
  ASSERT_TRUE(service->wait_ready(10s));
  stripe = start_fake_stripe(dir.path(), stripe_port, service->http_port(), "whsec_redis");

  raw_client client(service->http_port(), false);
  const std::string body =
      R"({"amount":"5","currency":"EUR","interval":"month","email":"reader@example.org",)"
      R"("success_url":"http://shop.test/thanks","cancel_url":"http://shop.test/donate"})";
  client.send(
      "POST /v1/pledges HTTP/1.1\r\nHost: support.test\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto created = client.read_response(20s);
  ASSERT_EQ(status(created), 201) << (created ? created->body : "");
  auto pledge = json::parse(created->body).as_object();
  const std::string id(pledge.at("id").as_string());
  const std::string token(pledge.at("manage_token").as_string());
  // Paid on the hosted page: fake-stripe's signed webhook comes back through supportd to Redis.
  shell_output("curl -sk -o /dev/null -X POST '" +
               std::string(pledge.at("checkout_url").as_string()) + "'");
  EXPECT_TRUE(eventually(
      [&] {
        auto r = client.get("/v1/pledges/" + id, "Authorization: Bearer " + token + "\r\n");
        return status(r) == 200 && json::parse(r->body).at("status") == "active";
      },
      10s));
  EXPECT_EQ(redis.cli({"EXISTS", "supportd:pledge:" + id}), std::vector<std::string>{"1"});
}

TEST_F(RedisAsProductionRunsIt, ACertificateFromAnotherCaIsRefusedWithAClearError) {
  start("other.pem", "redis-password");
  EXPECT_FALSE(service->wait_ready(1500ms));
  EXPECT_EQ(readyz(), 503);
  EXPECT_TRUE(eventually([&] { return log_lines_with("certificate verify failed") > 0; }, 5s));
  EXPECT_TRUE(service->process().running());
}

TEST_F(RedisAsProductionRunsIt, AWrongPasswordIsOneLogLineAndNotReadyNeverACrashLoop) {
  start("redis.pem", "wrong-password");
  EXPECT_FALSE(service->wait_ready(3s));
  EXPECT_EQ(readyz(), 503);
  // Said once (per worker connection), with Redis's reason and never the password, while the
  // connection keeps retrying with backoff.
  const auto refusals = log_lines_with("redis refused AUTH (WRONGPASS)");
  EXPECT_GE(refusals, 1u);
  EXPECT_LE(refusals, 2u);  // --threads=2: one connection each
  EXPECT_EQ(log_lines_with("wrong-password"), 0u);
  EXPECT_TRUE(service->process().running());
}

}  // namespace
}  // namespace supportd::test

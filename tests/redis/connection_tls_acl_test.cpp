// The Redis client as managed Redis asks to be reached: over TLS with a verified certificate,
// and as an ACL user. Real redis-server processes on loopback.
#include <gtest/gtest.h>

#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "redis/link.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"
#include "support/supportd_process.hpp"

namespace supportd::redis {
namespace {

using namespace std::chrono_literals;

awaitable<result> ping(connection& c) {
  std::string_view args[] = {"PING"};
  co_return co_await c.command(args);
}

awaitable<result> set(connection& c) {
  std::string_view args[] = {"SET", "supportd:test", "1"};
  co_return co_await c.command(args);
}

class RedisOverTls : public ::testing::Test {
 protected:
  // A certificate for 127.0.0.1 that is its own CA, as a private CA's would be.
  static test::temp_dir& certs() {
    static test::temp_dir dir;
    static bool made = [] {
      test::make_certificate(dir.path() / "redis.pem", dir.path() / "redis.key", "redis");
      test::make_certificate(dir.path() / "other.pem", dir.path() / "other.key", "other");
      return true;
    }();
    (void)made;
    return dir;
  }

  std::unique_ptr<connection> connect_with_ca(const std::string& ca_file) {
    std::string why;
    auto endpoint =
        redis::parse_redis_url("rediss://127.0.0.1:" + std::to_string(tls_port) + "/0", why);
    EXPECT_TRUE(endpoint) << why;
    auto c = std::make_unique<connection>(
        io,
        connection::options{.endpoint = *endpoint,
                            .tls = make_redis_tls_context({.ca_file = ca_file}),
                            .connect_timeout = 1s},
        &stats);
    c->start();
    return c;
  }

  int tls_port = test::free_port();
  test::redis_server server{{"--tls-port", std::to_string(tls_port), "--tls-cert-file",
                             (certs().path() / "redis.pem").string(), "--tls-key-file",
                             (certs().path() / "redis.key").string(), "--tls-ca-cert-file",
                             (certs().path() / "redis.pem").string(), "--tls-auth-clients", "no"}};
  net::io_context io;
  metrics::registry registry;
  client_metrics stats = client_metrics::create(registry);
};

TEST_F(RedisOverTls, CommandsGoOverAVerifiedTlsConnection) {
  auto c = connect_with_ca((certs().path() / "redis.pem").string());
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->ready(); }, 5s));
  EXPECT_TRUE(expect_status(test::run(io, set(*c)).value(), "OK"));
  // The write went to the server behind the TLS port.
  EXPECT_EQ(server.cli({"GET", "supportd:test"}), std::vector<std::string>{"1"});
}

TEST_F(RedisOverTls, AServerCertificateFromAnotherCaIsRefused) {
  auto c = connect_with_ca((certs().path() / "other.pem").string());
  EXPECT_FALSE(test::run_until(
      io, [&] { return c->ready(); }, 1500ms));
  EXPECT_EQ(test::run(io, ping(*c)).error(), errc::not_connected);
}

TEST_F(RedisOverTls, AnUnreadableCaFileIsASettingError) {
  EXPECT_THROW(make_redis_tls_context({.ca_file = "/nonexistent/ca.pem"}), std::runtime_error);
}

class RedisAclUser : public ::testing::Test {
 protected:
  std::unique_ptr<connection> connect_as(const std::string& user, const std::string& password) {
    std::string why;
    auto endpoint = redis::parse_redis_url(server.url(), why);
    EXPECT_TRUE(endpoint) << why;
    endpoint->username = user;
    endpoint->password = password;
    auto c = std::make_unique<connection>(
        io, connection::options{.endpoint = *endpoint, .connect_timeout = 1s}, &stats);
    c->start();
    return c;
  }

  // Only keys under supportd:; redis-server takes each rule as its own argument.
  test::redis_server server{{"--user", "default", "on", "nopass", "~*", "+@all", "--user",
                             "supportd", "on", ">right-password", "~supportd:*", "+@all",
                             "-@dangerous"}};
  net::io_context io;
  metrics::registry registry;
  client_metrics stats = client_metrics::create(registry);
};

TEST_F(RedisAclUser, TheUserLogsInAndWritesItsKeys) {
  auto c = connect_as("supportd", "right-password");
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->ready(); }, 5s));
  EXPECT_TRUE(expect_status(test::run(io, set(*c)).value(), "OK"));
  std::string_view outside[] = {"SET", "elsewhere", "1"};
  auto refused =
      test::run(io, [&]() -> awaitable<result> { co_return co_await c->command(outside); }());
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->is_error());
  EXPECT_TRUE(refused->text.starts_with("NOPERM")) << refused->text;
}

TEST_F(RedisAclUser, AWrongPasswordLeavesTheConnectionDownWithoutCrashing) {
  auto c = connect_as("supportd", "wrong-password");
  EXPECT_FALSE(test::run_until(
      io, [&] { return c->ready(); }, 1500ms));
  EXPECT_EQ(test::run(io, ping(*c)).error(), errc::not_connected);
  // Still trying (with backoff): the right password later is picked up by a restart, and the
  // process never exits on its own.
}

}  // namespace
}  // namespace supportd::redis

// The Redis client as managed Redis asks to be reached: over TLS with a verified certificate,
// and as an ACL user. Real redis-server processes on loopback.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cstdint>
#include <numeric>
#include <vector>

#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "redis/link.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"
#include "support/supportd_process.hpp"
#include "support/temp_dir.hpp"

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

  // To the server at `host` (127.0.0.1 unless given) on `port` (this fixture's unless given).
  std::unique_ptr<connection> connect_with_ca(const std::string& ca_file,
                                              const std::string& host = "127.0.0.1", int port = 0) {
    std::string why;
    auto endpoint = redis::parse_redis_url(
        "rediss://" + host + ":" + std::to_string(port != 0 ? port : server.tls_port()) + "/0",
        why);
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

  test::redis_server server{
      test::redis_server::tls_files{.cert = (certs().path() / "redis.pem").string(),
                                    .key = (certs().path() / "redis.key").string(),
                                    .ca = (certs().path() / "redis.pem").string()},
      {}};
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

// Another TLS server for one test, its certificate (its own CA too) for `alt_names`.
struct certified_server {
  explicit certified_server(const std::string& alt_names) : server(files(dir, alt_names), {}) {}
  std::string ca() const { return (dir.path() / "cert.pem").string(); }

  static test::redis_server::tls_files files(const test::temp_dir& dir,
                                             const std::string& alt_names) {
    const auto cert = (dir.path() / "cert.pem").string();
    const auto key = (dir.path() / "key.pem").string();
    test::make_certificate(cert, key, "redis", alt_names);
    return {.cert = cert, .key = key, .ca = cert};
  }

  test::temp_dir dir;
  test::redis_server server;
};

TEST_F(RedisOverTls, ACertificateForAnotherAddressIsRefused) {
  // Signed by a CA the client trusts, but for 127.0.0.2: not the server it dialled.
  certified_server elsewhere("IP:127.0.0.2");
  auto c = connect_with_ca(elsewhere.ca(), "127.0.0.1", elsewhere.server.tls_port());
  EXPECT_FALSE(test::run_until(
      io, [&] { return c->ready(); }, 1500ms));
  EXPECT_EQ(test::run(io, ping(*c)).error(), errc::not_connected);
}

TEST_F(RedisOverTls, AHostNameIsCheckedAgainstTheCertificate) {
  // This fixture's certificate names only 127.0.0.1: dialled as localhost, it is refused.
  auto by_name = connect_with_ca((certs().path() / "redis.pem").string(), "localhost");
  EXPECT_FALSE(test::run_until(
      io, [&] { return by_name->ready(); }, 1500ms));

  // One that names localhost is taken.
  certified_server named("DNS:localhost");
  auto c = connect_with_ca(named.ca(), "localhost", named.server.tls_port());
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->ready(); }, 5s));
  EXPECT_TRUE(expect_status(test::run(io, ping(*c)).value(), "PONG"));
}

awaitable<void> increment_into(connection& c, std::vector<std::int64_t>& seen) {
  std::string_view args[] = {"INCR", "supportd:counter"};
  auto r = co_await c.command(args);
  if (r) {
    if (auto n = as_integer(*r)) {
      seen.push_back(*n);
    }
  }
}

TEST_F(RedisOverTls, ManyCommandsInFlightEachGetTheirOwnReply) {
  // Thousands of replies come back many TLS records to a read: none is lost or given twice.
  auto c = connect_with_ca((certs().path() / "redis.pem").string());
  ASSERT_TRUE(test::run_until(
      io, [&] { return c->ready(); }, 5s));
  constexpr std::size_t commands = 5000;
  std::vector<std::int64_t> seen;
  for (std::size_t i = 0; i < commands; ++i) {
    net::co_spawn(io, increment_into(*c, seen), net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return seen.size() == commands; }, 10s));
  std::sort(seen.begin(), seen.end());
  std::vector<std::int64_t> expected(commands);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(seen, expected);
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

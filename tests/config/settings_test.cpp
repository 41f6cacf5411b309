#include "config/settings.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace supportd::config {
namespace {

parse_result parse(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), "supportd");
  std::vector<const char*> argv;
  for (auto& a : args) {
    argv.push_back(a.c_str());
  }
  return parse_settings(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(Settings, DefaultsNeedACertificateForHttps) {
  auto r = parse({});
  EXPECT_EQ(r.outcome, parse_outcome::invalid);
  EXPECT_EQ(r.message, "--tls-cert: required when --listen-https is set");
}

TEST(Settings, PlainHttpOnlyStartsWithDefaults) {
  auto r = parse({"--listen-https=", "--listen-http=127.0.0.1:8080"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_FALSE(r.values.listen_https);
  EXPECT_EQ(r.values.listen_http, (host_port{"127.0.0.1", 8080}));
  EXPECT_EQ(r.values.redis.host, "127.0.0.1");
  EXPECT_EQ(r.values.redis.port, 6379);
  EXPECT_EQ(r.values.redis_prefix, "supportd:");
  EXPECT_EQ(r.values.max_body_bytes, 64u * 1024);
  EXPECT_EQ(r.values.max_header_bytes, 8u * 1024);
  EXPECT_EQ(r.values.max_connections, 10000u);
  EXPECT_TRUE(r.values.admin_token.empty());
  EXPECT_EQ(r.values.log_level, log::level::info);
}

TEST(Settings, EnvironmentFillsInAndFlagsWin) {
  auto r = parse({"--listen-https=", "--listen-http=127.0.0.1:9000"},
                 {"SUPPORTD_LISTEN_HTTP=127.0.0.1:7000",
                  "SUPPORTD_REDIS_PREFIX=staging:", "SUPPORTD_MAX_BODY_BYTES=1024"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.listen_http->port, 9000);  // the flag wins
  EXPECT_EQ(r.values.redis_prefix, "staging:");
  EXPECT_EQ(r.values.max_body_bytes, 1024u);
}

TEST(Settings, EnvironmentNameFollowsTheFlag) {
  EXPECT_EQ(environment_name("listen-https"), "SUPPORTD_LISTEN_HTTPS");
  EXPECT_EQ(environment_name("admin-token-file"), "SUPPORTD_ADMIN_TOKEN_FILE");
}

TEST(Settings, UnknownFlagIsInvalid) {
  auto r = parse({"--listen-htps=1"});
  EXPECT_EQ(r.outcome, parse_outcome::invalid);
  EXPECT_NE(r.message.find("listen-htps"), std::string::npos) << r.message;
}

TEST(Settings, BadValuesNameTheirSetting) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--listen-https=", "--listen-http=localhost"}, "--listen-http: "},
      {{"--listen-https=", "--listen-http=127.0.0.1:1", "--redis-url=http://x"}, "--redis-url: "},
      {{"--listen-https=", "--listen-http=127.0.0.1:1", "--threads=0"}, "--threads: "},
      {{"--listen-https=", "--listen-http=127.0.0.1:1", "--header-timeout=soon"},
       "--header-timeout: "},
      {{"--listen-https=", "--listen-http=127.0.0.1:1", "--log-level=loud"}, "--log-level: "},
      {{"--listen-https=", "--listen-http=127.0.0.1:1", "--webhook-max-backlog=-1"},
       "--webhook-max-backlog: "},
      {{"--listen-https=", "--listen-http=127.0.0.1:1", "--admin-token-file=/nonexistent/x"},
       "--admin-token-file: "},
      {{"--listen-https=", "--listen-http="}, "--listen-https: "},
  };
  for (const auto& [args, prefix] : cases) {
    auto r = parse(args);
    EXPECT_EQ(r.outcome, parse_outcome::invalid) << prefix;
    EXPECT_TRUE(r.message.starts_with(prefix)) << r.message;
  }
}

TEST(Settings, RedisPasswordIsNeverEchoed) {
  auto r =
      parse({"--listen-https=", "--listen-http=127.0.0.1:1", "--redis-url=redis://:hunter2@/9"});
  EXPECT_EQ(r.outcome, parse_outcome::invalid);
  EXPECT_EQ(r.message.find("hunter2"), std::string::npos) << r.message;
}

TEST(Settings, AdminTokenComesFromItsFile) {
  test::temp_dir dir;
  auto path = dir.path() / "token";
  std::ofstream(path) << "0123456789abcdef-secret\n";
  auto r = parse(
      {"--listen-https=", "--listen-http=127.0.0.1:1", "--admin-token-file=" + path.string()});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.admin_token, "0123456789abcdef-secret");
}

TEST(Settings, HelpDocumentsEveryFlag) {
  auto r = parse({"--help"});
  ASSERT_EQ(r.outcome, parse_outcome::help);
  for (auto flag : {"--listen-https", "--listen-http", "--tls-cert", "--tls-key", "--redis-url",
                    "--redis-prefix", "--threads", "--max-body-bytes", "--max-header-bytes",
                    "--max-connections", "--admin-token-file", "--log-level", "--header-timeout",
                    "--idle-timeout", "--drain-timeout", "--redis-timeout"}) {
    EXPECT_NE(r.message.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace supportd::config

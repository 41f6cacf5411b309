#include "config/settings.hpp"

#include <gtest/gtest.h>

#include <filesystem>
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
  EXPECT_EQ(r.values.listen_http, (common::host_port{"127.0.0.1", 8080}));
  EXPECT_EQ(r.values.redis_url, "redis://127.0.0.1:6379/0");
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

TEST(Settings, RenewalNoticeIsFromOneTo60DaysAnd14Unset) {
  const std::vector<std::string> plain = {"--listen-https=", "--listen-http=127.0.0.1:8080"};
  auto with = [&](std::string flag) {
    auto args = plain;
    args.push_back(std::move(flag));
    return parse(args);
  };
  auto unset = parse(plain);
  ASSERT_EQ(unset.outcome, parse_outcome::run) << unset.message;
  EXPECT_EQ(unset.values.renewal_notice, std::chrono::days(14));
  auto set = with("--renewal-notice-days=30");
  ASSERT_EQ(set.outcome, parse_outcome::run) << set.message;
  EXPECT_EQ(set.values.renewal_notice, std::chrono::days(30));
  for (auto bad : {"--renewal-notice-days=0", "--renewal-notice-days=61"}) {
    auto r = with(bad);
    EXPECT_EQ(r.outcome, parse_outcome::invalid) << bad;
    EXPECT_NE(r.message.find("renewal-notice-days"), std::string::npos) << r.message;
  }
}

TEST(Settings, UnknownFlagIsInvalid) {
  auto r = parse({"--listen-htps=1"});
  EXPECT_EQ(r.outcome, parse_outcome::invalid);
  EXPECT_NE(r.message.find("listen-htps"), std::string::npos) << r.message;
}

TEST(Settings, BadValuesNameTheirSetting) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--listen-https=", "--listen-http=localhost"}, "--listen-http: "},
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

TEST(Settings, AnOpsListenerIsItsOwnAddress) {
  auto r =
      parse({"--listen-https=", "--listen-http=127.0.0.1:8080", "--listen-ops=127.0.0.1:9090"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  ASSERT_TRUE(r.values.listen_ops);
  EXPECT_EQ(r.values.listen_ops->port, 9090);
  EXPECT_FALSE(parse({"--listen-https=", "--listen-http=127.0.0.1:8080"}).values.listen_ops);
  auto bad = parse({"--listen-https=", "--listen-http=127.0.0.1:8080", "--listen-ops=9090"});
  EXPECT_EQ(bad.outcome, parse_outcome::invalid);
  EXPECT_NE(bad.message.find("--listen-ops"), std::string::npos) << bad.message;
}

TEST(Settings, StripeReconcileIntervalIsADurationOrZero) {
  const std::vector<std::string> base = {"--listen-https=", "--listen-http=127.0.0.1:1"};
  EXPECT_EQ(parse(base).values.stripe_reconcile_interval, std::chrono::hours(1));
  auto with = [&](const std::string& flag) {
    auto args = base;
    args.push_back(flag);
    return parse(args);
  };
  EXPECT_EQ(with("--stripe-reconcile-interval=15m").values.stripe_reconcile_interval,
            std::chrono::minutes(15));
  for (auto off : {"--stripe-reconcile-interval=0", "--stripe-reconcile-interval=0s"}) {
    auto r = with(off);
    ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
    EXPECT_EQ(r.values.stripe_reconcile_interval.count(), 0) << off;
  }
  auto bad = with("--stripe-reconcile-interval=hourly");
  EXPECT_EQ(bad.outcome, parse_outcome::invalid);
  EXPECT_TRUE(bad.message.starts_with("--stripe-reconcile-interval: ")) << bad.message;
}

TEST(Settings, StripePaymentMethodsAndConfiguration) {
  auto r = parse({"--listen-https=", "--listen-http=127.0.0.1:1",
                  "--stripe-payment-methods=card, paypal,sepa_debit",
                  "--stripe-payment-method-configuration=pmc_1Abc"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.stripe_payment_methods,
            (std::vector<std::string>{"card", "paypal", "sepa_debit"}));
  EXPECT_EQ(r.values.stripe_payment_method_configuration, "pmc_1Abc");
  for (auto bad : {"--stripe-payment-method-configuration=cfg_1",
                   "--stripe-payment-method-configuration=pmc_a&b=c",
                   "--stripe-payment-methods=card,pay pal"}) {
    auto refused = parse({"--listen-https=", "--listen-http=127.0.0.1:1", bad});
    EXPECT_EQ(refused.outcome, parse_outcome::invalid) << bad;
  }
}

TEST(Settings, HelpListsTheSettingsEachFeatureNeeds) {
  auto r = parse({"--help"});
  ASSERT_EQ(r.outcome, parse_outcome::help);
  auto table = r.message.substr(r.message.find("Features and the settings each needs"));
  EXPECT_NE(table.find("  pledges: --stripe-secret-key-file --stripe-webhook-secret-file "
                       "--allowed-origins"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("  reminders: --data-key-file --link-secret-file --notify-url "
                       "--notify-secret-file --public-url"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("  admin: --admin-token-file"), std::string::npos) << table;
}

TEST(Settings, AHalfConfiguredFeatureIsNamedWithWhatItLacks) {
  // A Stripe key without the webhook secret: pledges would be taken and never marked paid.
  auto lines = half_configured_features(
      {"stripe-secret-key-file", "allowed-origins", "pledge-error-url", "admin-token-file"});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "pledges are half-configured: --stripe-webhook-secret-file not set");
  // Features left off entirely are not half-configured.
  EXPECT_TRUE(half_configured_features({}).empty());
  EXPECT_TRUE(half_configured_features({"admin-token-file"}).empty());
}

TEST(Settings, PrintStripeEventsIsItsOwnOutcome) {
  EXPECT_EQ(parse({"--print-stripe-events"}).outcome, parse_outcome::print_stripe_events);
}

TEST(Settings, PrintRoutesIsItsOwnOutcome) {
  // Even beside a setting that would not parse: it needs none.
  EXPECT_EQ(parse({"--listen-https=nowhere"}).outcome, parse_outcome::invalid);
  EXPECT_EQ(parse({"--print-routes", "--listen-https=nowhere"}).outcome,
            parse_outcome::print_routes);
}

// --- secrets ----------------------------------------------------------------------

TEST(Settings, SecretFilesOthersMayReadAreRefusedNamingTheFileAndTheFix) {
  test::temp_dir dir;
  auto path = dir.path() / "token";
  std::ofstream(path) << "0123456789abcdef-secret\n";
  for (auto mode : {0644, 0640, 0604, 0660, 0602}) {
    std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
    auto r = parse(
        {"--listen-https=", "--listen-http=127.0.0.1:1", "--admin-token-file=" + path.string()});
    EXPECT_EQ(r.outcome, parse_outcome::invalid) << std::oct << mode;
    EXPECT_NE(r.message.find("--admin-token-file"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("chmod 600 " + path.string()), std::string::npos) << r.message;
    EXPECT_EQ(r.message.find("0123456789abcdef"), std::string::npos) << r.message;
  }
  for (auto mode : {0600, 0400}) {
    std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
    auto r = parse(
        {"--listen-https=", "--listen-http=127.0.0.1:1", "--admin-token-file=" + path.string()});
    EXPECT_EQ(r.outcome, parse_outcome::run) << r.message;
  }
}

TEST(Settings, EverySecretFileIsChecked) {
  test::temp_dir dir;
  auto write = [&](const std::string& name, const std::string& content) {
    auto path = dir.path() / name;
    std::ofstream(path) << content;
    std::filesystem::permissions(path, std::filesystem::perms(0644));
    return path.string();
  };
  for (auto [flag, content] : {std::pair{"stripe-secret-key-file", "sk_test_x"},
                               std::pair{"link-secret-file", "0123456789abcdef0123456789abcdef"},
                               std::pair{"stripe-webhook-secret-file", "whsec_x"},
                               std::pair{"redis-password-file", "hunter2"}}) {
    auto r = parse({"--listen-https=", "--listen-http=127.0.0.1:1",
                    std::string("--") + flag + "=" + write(flag, content)});
    EXPECT_EQ(r.outcome, parse_outcome::invalid) << flag;
    EXPECT_NE(r.message.find("chmod 600"), std::string::npos) << r.message;
  }
}

TEST(Settings, PlainHttpOutboundOnlyToLoopback) {
  test::temp_dir dir;
  for (auto base :
       {"http://api.stripe.com", "http://10.0.0.5:12111", "http://127.0.0.1.evil.example"}) {
    auto r = parse(
        {"--listen-https=", "--listen-http=127.0.0.1:1", std::string("--stripe-api-base=") + base});
    EXPECT_EQ(r.outcome, parse_outcome::invalid) << base;
    EXPECT_NE(r.message.find("--stripe-api-base"), std::string::npos) << r.message;
  }
  for (auto base : {"http://127.0.0.1:12111", "http://127.8.9.10", "http://[::1]:8080",
                    "http://LocalHost:1", "https://api.stripe.com", "https://10.0.0.5"}) {
    auto r = parse(
        {"--listen-https=", "--listen-http=127.0.0.1:1", std::string("--stripe-api-base=") + base});
    EXPECT_EQ(r.outcome, parse_outcome::run) << base << ": " << r.message;
  }
  auto secret = dir.path() / "notify";
  std::ofstream(secret) << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
  std::filesystem::permissions(secret, std::filesystem::perms(0600));
  auto notify = [&](const std::string& url) {
    return parse({"--listen-https=", "--listen-http=127.0.0.1:1", "--notify-url=" + url,
                  "--notify-secret-file=" + secret.string(), "--public-url=https://s.example"});
  };
  auto refused = notify("http://mail.example/hook");
  EXPECT_EQ(refused.outcome, parse_outcome::invalid);
  EXPECT_NE(refused.message.find("--notify-url"), std::string::npos) << refused.message;
  EXPECT_EQ(notify("http://127.0.0.1:8091/reminders").outcome, parse_outcome::run);
  EXPECT_EQ(notify("https://mail.example/hook").outcome, parse_outcome::run);
}

TEST(Settings, TheManagePageStylesheetIsAnHttpsUrlOrALocalOne) {
  auto with = [](const std::string& url) {
    return parse(
        {"--listen-https=", "--listen-http=127.0.0.1:1", "--manage-page-stylesheet=" + url});
  };
  auto none = parse({"--listen-https=", "--listen-http=127.0.0.1:1"});
  ASSERT_EQ(none.outcome, parse_outcome::run) << none.message;
  EXPECT_EQ(none.values.manage_page_stylesheet, "");
  for (auto url : {"https://news.example/css/manage.css", "https://news.example:8443/a.css?v=3",
                   "http://127.0.0.1:8090/manage.css", "http://localhost/manage.css"}) {
    auto r = with(url);
    ASSERT_EQ(r.outcome, parse_outcome::run) << url << ": " << r.message;
    EXPECT_EQ(r.values.manage_page_stylesheet, url);
  }
  // Not a URL, no host, another scheme, plain http over a network, a host that would run on
  // into the page's policy.
  for (auto url : {"manage.css", "/css/manage.css", "https://", "ftp://news.example/m.css",
                   "data:text/css,body{}", "http://news.example/manage.css",
                   "https://news.example;script-src/m.css", "https://user@news.example/m.css"}) {
    auto r = with(url);
    EXPECT_EQ(r.outcome, parse_outcome::invalid) << url;
    EXPECT_NE(r.message.find("--manage-page-stylesheet"), std::string::npos) << r.message;
  }
}

TEST(Settings, TrustedProxyHops) {
  auto r = parse({"--listen-https=", "--listen-http=127.0.0.1:1"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.trusted_proxy_hops, 1u);
  r = parse({"--listen-https=", "--listen-http=127.0.0.1:1", "--client-ip-header=X-Forwarded-For",
             "--trusted-proxy-hops=2"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.trusted_proxy_hops, 2u);
  EXPECT_EQ(
      parse({"--listen-https=", "--listen-http=127.0.0.1:1", "--trusted-proxy-hops=0"}).outcome,
      parse_outcome::invalid);
}

}  // namespace
}  // namespace supportd::config

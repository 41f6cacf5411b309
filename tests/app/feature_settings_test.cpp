#include "app/feature_settings.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace supportd::app {
namespace {

using config::parse_outcome;

startup_settings parse(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), "supportd");
  args.push_back("--listen-https=");
  args.push_back("--listen-http=127.0.0.1:1");
  std::vector<const char*> argv;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  return parse_startup_settings(static_cast<int>(argv.size()), argv.data(), env);
}

void expect_invalid(const startup_settings& s, const std::string& flag) {
  EXPECT_EQ(s.parsed.outcome, parse_outcome::invalid) << flag;
  EXPECT_TRUE(s.parsed.message.starts_with("--" + flag + ": "))
      << "expected --" << flag << ", got " << s.parsed.message;
}

TEST(FeatureSettings, TimeZoneMustExist) {
  expect_invalid(parse({"--reminder-time-zone=Mars/Olympus_Mons"}), "reminder-time-zone");
  expect_invalid(parse({"--reminder-time-zone=../../etc/passwd"}), "reminder-time-zone");
  auto s = parse({}, {"SUPPORTD_REMINDER_TIME_ZONE=Europe/Berlin"});
  ASSERT_EQ(s.parsed.outcome, parse_outcome::run) << s.parsed.message;
  EXPECT_EQ(s.parsed.values.reminder_time_zone, "Europe/Berlin");
  EXPECT_TRUE(s.features.reminder_time_zone);
}

TEST(FeatureSettings, PledgeLimitsMustRead) {
  expect_invalid(parse({"--pledge-limits=USD:month:abc:5"}), "pledge-limits");
  expect_invalid(parse({"--pledge-limits=*:weekly:1:5"}), "pledge-limits");
  auto s = parse({"--pledge-limits=*:month:2:800"});
  ASSERT_EQ(s.parsed.outcome, parse_outcome::run) << s.parsed.message;
  auto range =
      s.features.pledge_limits.range(*common::find_currency("USD"), common::interval::month);
  EXPECT_EQ(range.min_minor, 200);
  EXPECT_EQ(range.max_minor, 80000);
}

TEST(FeatureSettings, ReportCampaignsAreAShortListOfIdentifiers) {
  expect_invalid(parse({"--report-campaigns=winter,a b"}), "report-campaigns");
  auto s = parse({"--report-campaigns=winter-26,spring"});
  ASSERT_EQ(s.parsed.outcome, parse_outcome::run) << s.parsed.message;
  EXPECT_EQ(s.features.report_campaigns, (std::vector<std::string>{"winter-26", "spring"}));
  EXPECT_TRUE(parse({}).features.report_campaigns.empty());
}

TEST(FeatureSettings, RedisPasswordIsNeverEchoed) {
  auto r = parse({"--redis-url=redis://:hunter2@/9"});
  EXPECT_EQ(r.parsed.outcome, parse_outcome::invalid);
  EXPECT_EQ(r.parsed.message.find("hunter2"), std::string::npos) << r.parsed.message;
}

TEST(FeatureSettings, RedisSentinelsTlsAndWait) {
  auto r = parse({"--redis-url=rediss://h/1", "--redis-sentinels=10.0.0.1:26379,10.0.0.2:26379",
                  "--redis-master-name=mymaster", "--redis-wait-replicas=1",
                  "--redis-wait-timeout=250ms"});
  ASSERT_EQ(r.parsed.outcome, parse_outcome::run) << r.parsed.message;
  EXPECT_TRUE(r.features.redis.endpoint.tls);
  EXPECT_EQ(r.features.redis.sentinel.sentinels.size(), 2u);
  EXPECT_EQ(r.features.redis.sentinel.master_name, "mymaster");
  EXPECT_EQ(r.features.redis.wait_replicas, 1);
  EXPECT_EQ(r.features.redis.wait_timeout, std::chrono::milliseconds(250));
}

TEST(FeatureSettings, RedisHalfSettingsAreRefused) {
  for (auto [args, prefix] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--redis-url=http://x"}, "--redis-url: "},
           {{"--redis-sentinels=10.0.0.1:26379"}, "--redis-master-name: "},
           {{"--redis-master-name=mymaster"}, "--redis-master-name: "},
           {{"--redis-sentinels=nope", "--redis-master-name=m"}, "--redis-sentinels: "},
           {{"--redis-ca-file=/etc/ssl/ca.pem"}, "--redis-ca-file: "},
           {{"--redis-url=rediss://h", "--redis-cert-file=/c.pem"}, "--redis-cert-file: "},
           {{"--redis-username=supportd"}, "--redis-username: "},
           {{"--redis-wait-replicas=-1"}, "--redis-wait-replicas: "},
           {{"--redis-wait-timeout=0s"}, "--redis-wait-timeout: "},
           // A WAIT holds up every command behind it: they would miss their own deadline.
           {{"--redis-wait-replicas=1", "--redis-wait-timeout=1500ms", "--redis-timeout=2s"},
            "--redis-wait-timeout: "},
       }) {
    auto r = parse(args);
    EXPECT_EQ(r.parsed.outcome, parse_outcome::invalid) << prefix;
    EXPECT_TRUE(r.parsed.message.starts_with(prefix)) << r.parsed.message;
  }
}

TEST(FeatureSettings, RedisDefaultsToThisMachine) {
  auto s = parse({});
  ASSERT_EQ(s.parsed.outcome, parse_outcome::run) << s.parsed.message;
  EXPECT_EQ(s.features.redis.endpoint.host, "127.0.0.1");
  EXPECT_EQ(s.features.redis.endpoint.port, 6379);
}

TEST(FeatureSettings, HelpNeedsNoFeatureSettings) {
  EXPECT_EQ(parse({"--help", "--pledge-limits=nonsense"}).parsed.outcome, parse_outcome::help);
}

}  // namespace
}  // namespace supportd::app

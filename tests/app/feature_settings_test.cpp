#include "app/feature_settings.hpp"

#include <gtest/gtest.h>

#include <string>
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

TEST(FeatureSettings, HelpNeedsNoFeatureSettings) {
  EXPECT_EQ(parse({"--help", "--pledge-limits=nonsense"}).parsed.outcome, parse_outcome::help);
}

}  // namespace
}  // namespace supportd::app

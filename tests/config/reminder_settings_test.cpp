#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "security/data_keys.hpp"
#include "support/temp_dir.hpp"

namespace supportd::config {
namespace {

// A 32-byte key (bytes 100..131) in standard padded base64.
const std::string data_key = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
// whsec_ of base64("notify-secret-for-tests-0123456").
const std::string notify_secret = "whsec_bm90aWZ5LXNlY3JldC1mb3ItdGVzdHMtMDEyMzQ1Ng==";

parse_result parse(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), {"supportd", "--listen-https=", "--listen-http=127.0.0.1:1"});
  std::vector<const char*> argv;
  for (auto& a : args) {
    argv.push_back(a.c_str());
  }
  return parse_settings(static_cast<int>(argv.size()), argv.data(), env);
}

// The secret files a reminder deployment needs, in a directory removed afterwards.
class ReminderSettings : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& content) {
    auto path = dir_.path() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  std::string data_key_file() { return write("data-keys", "k1:" + data_key + "\n"); }
  std::string link_secret_file() {
    return write("link-secret", "link-secret-of-at-least-32-characters!\n");
  }
  std::string notify_secret_file() { return write("notify-secret", notify_secret + "\n"); }

  test::temp_dir dir_;
};

void expect_invalid(const parse_result& r, const std::string& flag) {
  EXPECT_EQ(r.outcome, parse_outcome::invalid) << flag;
  EXPECT_TRUE(r.message.starts_with("--" + flag + ": "))
      << "expected --" << flag << ", got " << r.message;
}

TEST_F(ReminderSettings, DefaultsLeaveRemindersOff) {
  auto r = parse({});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.data_keys, nullptr);
  EXPECT_TRUE(r.values.notify_url.empty());
  EXPECT_TRUE(r.values.notify_keys.empty());
  EXPECT_TRUE(r.values.give_url.empty());
  EXPECT_EQ(r.values.reminder_local_hour, 9);
  EXPECT_EQ(r.values.reminder_time_zone, "UTC");
  EXPECT_EQ(r.values.notify_timeout, std::chrono::seconds(15));
  EXPECT_EQ(r.values.reminder_lease, std::chrono::seconds(60));
  EXPECT_EQ(r.values.reminder_retention, std::chrono::hours(30 * 24));
}

TEST_F(ReminderSettings, DataKeysNeedTheLinkSecret) {
  auto r = parse({"--data-key-file=" + data_key_file()});
  expect_invalid(r, "link-secret-file");

  auto with_secret =
      parse({"--data-key-file=" + data_key_file(), "--link-secret-file=" + link_secret_file()});
  ASSERT_EQ(with_secret.outcome, parse_outcome::run) << with_secret.message;
  ASSERT_NE(with_secret.values.data_keys, nullptr);
  EXPECT_EQ(with_secret.values.data_keys->sealing_key_id(), "k1");
}

TEST_F(ReminderSettings, ABadKeyFileIsNamedButNotEchoed) {
  const std::vector<std::string> bad_files = {
      // 19 bytes, not 32
      "k1:c2VjcmV0LWtleS1tYXRlcmlhbA==\n",
      // no key id
      "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU=\n",
      // not base64
      "k1:SuperSecretKeyMaterial!!SuperSecretKeyMaterial!!\n",
  };
  for (const auto& content : bad_files) {
    auto r = parse({"--data-key-file=" + write("bad-keys", content),
                    "--link-secret-file=" + link_secret_file()});
    expect_invalid(r, "data-key-file");
    EXPECT_EQ(r.message.find("c2VjcmV0"), std::string::npos) << r.message;
    EXPECT_EQ(r.message.find("paWlpaWl"), std::string::npos) << r.message;
    EXPECT_EQ(r.message.find("SuperSecret"), std::string::npos) << r.message;
  }
  expect_invalid(parse({"--data-key-file=" + write("empty-keys", "\n"),
                        "--link-secret-file=" + link_secret_file()}),
                 "data-key-file");
  expect_invalid(parse({"--data-key-file=" + (dir_.path() / "missing").string(),
                        "--link-secret-file=" + link_secret_file()}),
                 "data-key-file");
}

TEST_F(ReminderSettings, NotifyUrlNeedsItsSecret) {
  auto r = parse({"--notify-url=https://mail.news.example/hooks/reminders",
                  "--public-url=https://support.news.example"});
  expect_invalid(r, "notify-secret-file");
}

TEST_F(ReminderSettings, NotifyUrlNeedsThePublicUrl) {
  auto r = parse({"--notify-url=https://mail.news.example/hooks/reminders",
                  "--notify-secret-file=" + notify_secret_file()});
  expect_invalid(r, "public-url");
}

TEST_F(ReminderSettings, NotifyUrlAndSecretMustBeWellFormed) {
  expect_invalid(parse({"--notify-url=mail.news.example", "--public-url=https://s.example",
                        "--notify-secret-file=" + notify_secret_file()}),
                 "notify-url");
  auto r = parse({"--notify-url=https://mail.news.example/hooks", "--public-url=https://s.example",
                  "--notify-secret-file=" + write("plain-secret", "not-a-whsec-secret\n")});
  expect_invalid(r, "notify-secret-file");
  EXPECT_EQ(r.message.find("not-a-whsec-secret"), std::string::npos) << r.message;
}

TEST_F(ReminderSettings, TheLeaseMustOutlastADelivery) {
  expect_invalid(parse({"--notify-timeout=15s", "--reminder-lease=15s"}), "reminder-lease");
  expect_invalid(parse({"--notify-timeout=30s", "--reminder-lease=20s"}), "reminder-lease");
  expect_invalid(parse({"--reminder-lease=10s"}), "reminder-lease");  // the default timeout: 15s
  auto r = parse({"--notify-timeout=15s", "--reminder-lease=16s"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.reminder_lease, std::chrono::seconds(16));
}

TEST_F(ReminderSettings, LocalHourIsFromZeroTo23) {
  expect_invalid(parse({"--reminder-local-hour=24"}), "reminder-local-hour");
  expect_invalid(parse({"--reminder-local-hour=-1"}), "reminder-local-hour");
  for (auto [text, hour] : {std::pair{"0", 0}, std::pair{"23", 23}}) {
    auto r = parse({std::string("--reminder-local-hour=") + text});
    ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
    EXPECT_EQ(r.values.reminder_local_hour, hour);
  }
}

TEST_F(ReminderSettings, GiveUrlDefaultsToTheFirstAllowedOrigin) {
  auto r = parse({"--allowed-origins=https://news.example,https://other.example"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  EXPECT_EQ(r.values.give_url, "https://news.example/");

  auto set = parse({"--allowed-origins=https://news.example",
                    "--give-url=https://news.example/support?from=mail"});
  ASSERT_EQ(set.outcome, parse_outcome::run) << set.message;
  EXPECT_EQ(set.values.give_url, "https://news.example/support?from=mail");

  expect_invalid(parse({"--give-url=news.example/support"}), "give-url");
}

TEST_F(ReminderSettings, AFullSetParses) {
  auto r = parse(
      {"--allowed-origins=https://news.example", "--data-key-file=" + data_key_file(),
       "--link-secret-file=" + link_secret_file(), "--public-url=https://support.news.example/",
       "--notify-url=https://mail.news.example/hooks/reminders",
       "--notify-secret-file=" + notify_secret_file(), "--notify-timeout=5s",
       "--reminder-lease=30s", "--reminder-thanks-url=https://news.example/reminders/thanks",
       "--reminder-error-url=https://news.example/reminders/error",
       "--give-url=https://news.example/give", "--reminder-local-hour=8",
       "--reminder-time-zone=America/New_York", "--reminder-retention=7d", "--reminder-batch=50",
       "--reminder-poll=1s", "--reminder-signups-per-email-per-hour=3"});
  ASSERT_EQ(r.outcome, parse_outcome::run) << r.message;
  const auto& s = r.values;
  ASSERT_NE(s.data_keys, nullptr);
  EXPECT_EQ(s.data_keys->sealing_key_id(), "k1");
  EXPECT_EQ(s.link_secret, "link-secret-of-at-least-32-characters!");
  EXPECT_EQ(s.public_url, "https://support.news.example");
  EXPECT_EQ(s.notify_url, "https://mail.news.example/hooks/reminders");
  EXPECT_EQ(s.notify_keys, (std::vector<std::string>{"notify-secret-for-tests-0123456"}));
  EXPECT_EQ(s.notify_timeout, std::chrono::seconds(5));
  EXPECT_EQ(s.reminder_lease, std::chrono::seconds(30));
  EXPECT_EQ(s.reminder_thanks_url, "https://news.example/reminders/thanks");
  EXPECT_EQ(s.reminder_error_url, "https://news.example/reminders/error");
  EXPECT_EQ(s.give_url, "https://news.example/give");
  EXPECT_EQ(s.reminder_local_hour, 8);
  EXPECT_EQ(s.reminder_time_zone, "America/New_York");
  EXPECT_EQ(s.reminder_retention, std::chrono::hours(7 * 24));
  EXPECT_EQ(s.reminder_batch, 50u);
  EXPECT_EQ(s.reminder_poll, std::chrono::seconds(1));
  EXPECT_EQ(s.reminder_signups_per_email_per_hour, 3u);
}

}  // namespace
}  // namespace supportd::config

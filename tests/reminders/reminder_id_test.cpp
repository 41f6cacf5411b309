#include "reminders/reminder_id.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

#include "security/data_keys.hpp"

namespace supportd::reminders {
namespace {

// Three 32-byte keys in standard padded base64: 32 x 0xA5, bytes 100..131, and (7i + 3) mod 256.
const std::string key_a = "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU=";
const std::string key_b = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
const std::string key_c = "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dw=";

security::data_keys keys_from(const std::string& file_text) {
  auto parsed = security::data_keys::parse(file_text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    throw std::runtime_error(*error);
  }
  return std::get<security::data_keys>(std::move(parsed));
}

bool base64url_only(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

TEST(ReminderId, IsTwentyBase64UrlCharacters) {
  auto keys = keys_from("k1:" + key_a + "\n");
  for (auto [email, campaign] :
       {std::pair{"reader@example.org", "winter-2026"}, std::pair{"a@b.co", ""},
        std::pair{"someone.else@example.net", "spring/2027_v.2"}}) {
    auto id = reminder_id(keys, email, campaign);
    EXPECT_EQ(id.size(), 20u) << id;
    EXPECT_TRUE(base64url_only(id)) << id;
    EXPECT_TRUE(is_reminder_id(id)) << id;
    auto reader = reader_part(keys, email);
    EXPECT_EQ(reader.size(), 12u) << reader;
    EXPECT_TRUE(base64url_only(reader)) << reader;
  }
}

TEST(ReminderId, OneIdPerReaderAndCampaign) {
  auto keys = keys_from("k1:" + key_a + "\n");
  auto winter = reminder_id(keys, "reader@example.org", "winter-2026");
  EXPECT_EQ(reminder_id(keys, "reader@example.org", "winter-2026"), winter);
  // Parsing the same key file again gives the same ids (a restart, another worker).
  EXPECT_EQ(reminder_id(keys_from("k1:" + key_a + "\n"), "reader@example.org", "winter-2026"),
            winter);

  auto spring = reminder_id(keys, "reader@example.org", "spring-2027");
  EXPECT_NE(spring, winter);
  // All of one reader's reminders share the reader part, so erasure finds them by prefix.
  EXPECT_EQ(spring.substr(0, 12), winter.substr(0, 12));
  EXPECT_EQ(winter.substr(0, 12), reader_part(keys, "reader@example.org"));

  auto other = reminder_id(keys, "other@example.org", "winter-2026");
  EXPECT_NE(other, winter);
  EXPECT_NE(other.substr(0, 12), winter.substr(0, 12));
}

TEST(ReminderId, TheSeparatorKeepsEmailAndCampaignApart) {
  auto keys = keys_from("k1:" + key_a + "\n");
  // Without a separator these two would hash the same text.
  EXPECT_NE(reminder_id(keys, "a@b.co", "x").substr(12),
            reminder_id(keys, "a@b.cox", "").substr(12));
}

TEST(ReminderId, ManyReadersGetDistinctIds) {
  auto keys = keys_from("k1:" + key_a + "\n");
  std::set<std::string> ids;
  std::set<std::string> readers;
  for (int i = 0; i < 500; ++i) {
    auto email = "reader" + std::to_string(i) + "@example.org";
    ids.insert(reminder_id(keys, email, "winter-2026"));
    readers.insert(reader_part(keys, email));
  }
  EXPECT_EQ(ids.size(), 500u);
  EXPECT_EQ(readers.size(), 500u);
}

TEST(ReminderId, AnotherKeyFileGivesOtherIds) {
  auto a = keys_from("k1:" + key_a + "\n");
  auto b = keys_from("k1:" + key_b + "\n");
  EXPECT_NE(reminder_id(a, "reader@example.org", "winter-2026"),
            reminder_id(b, "reader@example.org", "winter-2026"));
  EXPECT_NE(reader_part(a, "reader@example.org"), reader_part(b, "reader@example.org"));
}

TEST(ReminderId, APrependedSealingKeyKeepsTheIds) {
  // Rotation puts a new key on the first line; ids come from the last line, so one reader's
  // pending reminder is still found under the same id.
  auto before = keys_from("k1:" + key_a + "\n");
  auto rotating = keys_from("k2:" + key_c + "\nk1:" + key_a + "\n");
  EXPECT_EQ(reminder_id(rotating, "reader@example.org", "winter-2026"),
            reminder_id(before, "reader@example.org", "winter-2026"));
  // Appending a key is what changes them.
  auto appended = keys_from("k1:" + key_a + "\nk2:" + key_c + "\n");
  EXPECT_NE(reminder_id(appended, "reader@example.org", "winter-2026"),
            reminder_id(before, "reader@example.org", "winter-2026"));
}

TEST(ReminderId, IsReminderIdChecksTheShape) {
  EXPECT_TRUE(is_reminder_id("AbCdEfGhIjKl-_0123yz"));
  EXPECT_TRUE(is_reminder_id(std::string(20, '-')));
  EXPECT_FALSE(is_reminder_id(""));
  EXPECT_FALSE(is_reminder_id("AbCdEfGhIjKl-_0123y"));    // 19
  EXPECT_FALSE(is_reminder_id("AbCdEfGhIjKl-_0123yzA"));  // 21
  EXPECT_FALSE(is_reminder_id("AbCdEfGhIjKl+/0123yz"));   // standard base64, not url-safe
  EXPECT_FALSE(is_reminder_id("AbCdEfGhIjKl-_0123y="));   // padding
  EXPECT_FALSE(is_reminder_id("AbCdEfGhIjKl-_0123y."));
  EXPECT_FALSE(is_reminder_id("AbCdEfGhIjKl-_0123y "));
  EXPECT_FALSE(is_reminder_id("../../../../etc/pass"));
  EXPECT_FALSE(is_reminder_id(std::string("AbCdEfGhIjKl-_0123y\0", 20)));
  EXPECT_FALSE(is_reminder_id("AbCdEfGhIjKl-_0123y\xc3"));
}

}  // namespace
}  // namespace supportd::reminders

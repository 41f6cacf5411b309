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
  for (auto email : {"reader@example.org", "a@b.co", "someone.else@example.net"}) {
    auto reader = reader_part(keys, email);
    EXPECT_EQ(reader.size(), 12u) << reader;
    EXPECT_TRUE(base64url_only(reader)) << reader;
    auto id = new_reminder_id(reader);
    EXPECT_EQ(id.size(), 20u) << id;
    EXPECT_TRUE(base64url_only(id)) << id;
    EXPECT_TRUE(is_reminder_id(id)) << id;
    auto hash = reader_hash(keys, email);
    EXPECT_EQ(hash.size(), 43u) << hash;
    EXPECT_TRUE(base64url_only(hash)) << hash;
  }
}

// knowing an address must not name anyone's reminder. Every sign-up gets an id (and
// so a manage token) of its own; only the reader part, a keyed hash, is shared, so erasure and a
// paid pledge still find all of one reader's reminders by prefix.
TEST(ReminderId, EverySignUpOfOneReaderGetsItsOwnIdAndToken) {
  auto keys = keys_from("k1:" + key_a + "\n");
  const auto reader = reader_part(keys, "reader@example.org");
  std::set<std::string> ids;
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_reminder_id(reader);
    EXPECT_EQ(id.substr(0, 12), reader);
    ids.insert(id);
    tokens.insert(manage_token("a-link-secret-of-at-least-32-characters", id));
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(tokens.size(), 1000u);
  // The reader part is the prefix of the reader's full hash, which a pledge keeps.
  EXPECT_EQ(reader_part_of(reader_hash(keys, "reader@example.org")), reader);
  EXPECT_EQ(reader_part_of(*ids.begin()), reader);
}

TEST(ReminderId, TheReaderPartStaysPerReaderAndKey) {
  auto keys = keys_from("k1:" + key_a + "\n");
  auto reader = reader_part(keys, "reader@example.org");
  // Parsing the same key file again gives the same part (a restart, another worker).
  EXPECT_EQ(reader_part(keys_from("k1:" + key_a + "\n"), "reader@example.org"), reader);
  EXPECT_NE(reader_part(keys, "other@example.org"), reader);
  std::set<std::string> readers;
  for (int i = 0; i < 500; ++i) {
    readers.insert(reader_part(keys, "reader" + std::to_string(i) + "@example.org"));
  }
  EXPECT_EQ(readers.size(), 500u);
  // Another key file gives other parts.
  EXPECT_NE(reader_part(keys_from("k1:" + key_b + "\n"), "reader@example.org"), reader);
  // Rotation puts a new key on the first line; lookups come from the last line, so a reader's
  // reminders are still found under the same part. Appending a key is what changes it.
  auto rotating = keys_from("k2:" + key_c + "\nk1:" + key_a + "\n");
  EXPECT_EQ(reader_part(rotating, "reader@example.org"), reader);
  auto appended = keys_from("k1:" + key_a + "\nk2:" + key_c + "\n");
  EXPECT_NE(reader_part(appended, "reader@example.org"), reader);
}

TEST(ReminderId, TheDeliveryClaimKeyIsPerReaderAndCampaign) {
  auto keys = keys_from("k1:" + key_a + "\n");
  auto reader = reader_hash(keys, "reader@example.org");
  auto winter = reader_campaign_key(reader, "winter-2026");
  EXPECT_EQ(winter.size(), 16u);
  EXPECT_TRUE(base64url_only(winter));
  EXPECT_EQ(reader_campaign_key(reader, "winter-2026"), winter);
  EXPECT_NE(reader_campaign_key(reader, "spring-2027"), winter);
  EXPECT_NE(reader_campaign_key(reader_hash(keys, "other@example.org"), "winter-2026"), winter);
  // Without a separator these two would hash the same text.
  EXPECT_NE(reader_campaign_key("ab", "c"), reader_campaign_key("a", "bc"));
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

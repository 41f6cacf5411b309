#include "reminders/reminder_id.hpp"

#include <algorithm>

#include "security/data_keys.hpp"
#include "security/secrets.hpp"

namespace supportd::reminders {

std::string reader_part(const security::data_keys& keys, std::string_view email) {
  // 9 bytes are 12 base64url characters, which are the first 12 of the whole hash's.
  return std::string(reader_part_of(reader_hash(keys, email)));
}

std::string_view reader_part_of(std::string_view reader_hash_or_id) {
  return reader_hash_or_id.substr(0, reader_part_length);
}

std::string new_reminder_id(std::string_view reader_part) {
  // 6 bytes are 8 base64url characters. Unique among one reader's reminders but for a 2^-48
  // chance per pair, which the sign-up's create-only write catches (it draws again).
  return std::string(reader_part) + security::random_token(6);
}

std::string manage_token(std::string_view link_secret, std::string_view id) {
  std::string subject = "reminder-manage|";
  subject += id;
  return "rt_" + security::base64url(security::hmac_sha256(link_secret, subject));
}

bool is_reminder_id(std::string_view text) {
  return text.size() == id_length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

}  // namespace supportd::reminders

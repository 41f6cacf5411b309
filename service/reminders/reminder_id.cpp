#include "reminders/reminder_id.hpp"

#include <algorithm>

#include "security/data_keys.hpp"
#include "security/secrets.hpp"

namespace supportd::reminders {

std::string reader_part(const security::data_keys& keys, std::string_view email) {
  // 9 bytes are 12 base64url characters: 72 bits, so two readers sharing a prefix is rare, and
  // harmless (erasure opens each sealed address before removing anything).
  auto hash = keys.lookup_hash("reminder-reader", email);
  return security::base64url(std::string_view(hash).substr(0, 9));
}

std::string reminder_id(const security::data_keys& keys, std::string_view email,
                        std::string_view campaign) {
  std::string subject(email);
  subject += '\n';  // neither an email nor a campaign holds a newline
  subject += campaign;
  auto hash = keys.lookup_hash("reminder-campaign", subject);
  return reader_part(keys, email) + security::base64url(std::string_view(hash).substr(0, 6));
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

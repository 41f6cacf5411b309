// Reminder ids are derived from the reader's email and the campaign with a keyed hash, so that
// "one pending reminder per reader per campaign" needs no index in Redis (a sign-up, and a pledge
// that cancels the reader's reminder, compute the id), and all of one reader's reminders share a
// prefix (erasure finds them without storing the address or a list per reader).
//
//   id = <12 characters from the reader> <8 characters from the reader and campaign>
//
// Both parts are base64url of HMAC-SHA256 under data_keys' lookup key, so an id reveals nothing
// without that key.
#pragma once

#include <string>
#include <string_view>

namespace supportd::security {
class data_keys;
}

namespace supportd::reminders {

inline constexpr std::size_t reader_part_length = 12;
inline constexpr std::size_t id_length = 20;

std::string reader_part(const security::data_keys& keys, std::string_view email);
std::string reminder_id(const security::data_keys& keys, std::string_view email,
                        std::string_view campaign);

// The token that lets the reader manage the reminder (returned at sign-up): derived from the id
// and the link secret, so nothing secret is stored.
std::string manage_token(std::string_view link_secret, std::string_view id);

// A reminder id's shape (so a forged or mangled one is refused before Redis is asked).
bool is_reminder_id(std::string_view text);

}  // namespace supportd::reminders

// Reminder ids: a part that names the reader (a keyed hash of the address) and a random part,
// new for every sign-up.
//
//   id = <12 characters from the reader> <8 random characters>
//
// The reader part is base64url of HMAC-SHA256 under data_keys' lookup key, so an id reveals
// nothing without that key, and all of one reader's reminders share it: erasure, a paid pledge
// and an unsubscribe find them by prefix (in one bucket: reminder_store.hpp) without storing the
// address or a list per reader. The random part is what makes a sign-up's id, and so its manage
// token, its own: knowing a reader's address gives no way to name, read, move or delete a
// reminder someone else made. "One reminder per reader and campaign" is kept at delivery instead
// (reminder_scheduler.hpp).
#pragma once

#include <string>
#include <string_view>

#include "security/reader_hash.hpp"

namespace supportd::security {
class data_keys;
}

namespace supportd::reminders {

inline constexpr std::size_t reader_part_length = 12;
inline constexpr std::size_t id_length = 20;

using security::reader_campaign_key;
using security::reader_hash;

// The reader's keyed hash's (security/reader_hash.hpp) first 12 characters (72 bits): the prefix of
// the reader's reminder ids. Two readers sharing one is rare, and harmless: whatever acts on a
// reader's pending reminders confirms the sealed address first.
std::string reader_part(const security::data_keys& keys, std::string_view email);
std::string_view reader_part_of(std::string_view reader_hash_or_id);

// A new id for a sign-up of the reader with this reader part: 48 random bits after it.
std::string new_reminder_id(std::string_view reader_part);

// The token that lets the reader manage the reminder (returned at sign-up): derived from the id
// and the link secret, so nothing secret is stored; as random as the id's random part.
std::string manage_token(std::string_view link_secret, std::string_view id);

// A reminder id's shape (so a forged or mangled one is refused before Redis is asked).
bool is_reminder_id(std::string_view text);

}  // namespace supportd::reminders

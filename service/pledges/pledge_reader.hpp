// The reader's address and name as a pledge keeps them: sealed with AES-256-GCM under the data
// keys (security/data_keys.hpp, as reminders keep addresses), each bound to its pledge and to
// what it is, so a blob copied to another pledge, or an address put where the name goes, does
// not open. Only the reader's messages open them (pledge_message.hpp); an erasure removes both.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pledges/pledge_message.hpp"

namespace supportd::security {
class data_keys;
}

namespace supportd::pledges {

struct sealed_reader {
  std::string email;  // never empty
  std::string name;   // empty when the reader gave none
};

// `email` normalised (pledge_request.hpp); `name` as given, possibly empty.
sealed_reader seal_reader(const security::data_keys& keys, std::string_view pledge_id,
                          std::string_view email, std::string_view name);

// The address alone, as seal_reader seals it (the paid checkout's address replacing the form's).
std::string seal_email(const security::data_keys& keys, std::string_view pledge_id,
                       std::string_view email);

// The reader, or nullopt when the address does not open (erased, under a retired key,
// damaged). A name that does not open reads as none: the message can do without it.
std::optional<message_reader> open_reader(const security::data_keys& keys,
                                          std::string_view pledge_id, std::string_view sealed_email,
                                          std::string_view sealed_name);

}  // namespace supportd::pledges

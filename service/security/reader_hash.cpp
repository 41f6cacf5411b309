#include "security/reader_hash.hpp"

#include "security/data_keys.hpp"
#include "security/secrets.hpp"

namespace supportd::security {

std::string reader_hash(const data_keys& keys, std::string_view email) {
  return base64url(keys.lookup_hash("reminder-reader", email));
}

}  // namespace supportd::security

#include "security/reader_hash.hpp"

#include "security/data_keys.hpp"
#include "security/secrets.hpp"

namespace supportd::security {

std::string reader_hash(const data_keys& keys, std::string_view email) {
  return base64url(keys.lookup_hash("reminder-reader", email));
}

std::string reader_campaign_key(std::string_view reader_hash, std::string_view campaign) {
  std::string subject(reader_hash);
  subject += '\n';  // neither a base64url hash nor a campaign holds a newline
  subject += campaign;
  // 96 bits: the reader hash is keyed already, so a plain hash of it keeps the key's secrecy.
  return base64url(std::string_view(sha256(subject)).substr(0, 12));
}

}  // namespace supportd::security

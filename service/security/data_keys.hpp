// Encryption of personal data at rest (readers' email addresses in Redis) with AES-256-GCM, and
// keyed lookup hashes, under a rotating set of keys read from a key file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace supportd::security {

// The keys come from a file of lines `KEY_ID:BASE64_OF_32_BYTES` (standard base64 with padding;
// blank lines and lines starting with '#' are ignored; KEY_ID is 1-16 of [A-Za-z0-9_-]).
// The first key seals; every key opens. Rotation: put a new key on the first line, re-seal what
// was sealed under the old ones, then drop them.
//
// Thread-safety: immutable after parse(); all const members may be called concurrently (each
// thread keeps its own OpenSSL contexts).
class data_keys {
 public:
  // The keys, or an error naming the offending line (never any of its text, which may be key).
  static std::variant<data_keys, std::string> parse(std::string_view file_text);

  // Binary blob `<key id>:<12-byte nonce><ciphertext><16-byte tag>`, 29 + key id length bytes
  // longer than the plaintext. The associated data (e.g. the record's id) is authenticated, not
  // stored: the blob opens only with the same associated data. Throws std::runtime_error only if
  // OpenSSL fails, which it does not.
  std::string seal(std::string_view plaintext, std::string_view associated_data) const;

  // The plaintext, or nullopt for an unknown key id, a truncated or altered blob, or other
  // associated data.
  std::optional<std::string> open(std::string_view sealed, std::string_view associated_data) const;

  // Raw 32-byte HMAC-SHA256 of `value` for `purpose`, to find a record by a value without storing
  // the value. Keyed by a subkey of the LAST key in the file (see lookup_key_id()).
  std::string lookup_hash(std::string_view purpose, std::string_view value) const;

  // The key new blobs are sealed under (the first line); a blob under another id wants re-sealing.
  const std::string& sealing_key_id() const { return keys_.front().id; }
  // The key lookup hashes come from (the last line).
  const std::string& lookup_key_id() const { return keys_.back().id; }

 private:
  struct key {
    std::string id;
    std::string secret;  // 32 bytes
  };

  data_keys() = default;

  const key* find(std::string_view id) const;

  std::vector<key> keys_;   // in file order, never empty
  std::string lookup_key_;  // derived from keys_.back()
};

}  // namespace supportd::security

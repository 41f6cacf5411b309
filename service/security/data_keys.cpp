#include "security/data_keys.hpp"

#include <openssl/evp.h>

#include <climits>
#include <memory>
#include <stdexcept>

#include "security/secrets.hpp"

namespace supportd::security {
namespace {

// Fetched once: OpenSSL 3 looks `aes_256_gcm()` up by name, under a lock, at every use.
const EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* const cipher = [] {
    EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (fetched == nullptr) {
      throw std::runtime_error("OpenSSL has no AES-256-GCM");
    }
    return fetched;
  }();
  return cipher;
}

constexpr std::size_t key_size = 32;  // AES-256
// 96-bit random nonces are GCM's native size; at one seal per stored address a key stays far
// below the 2^32 seals after which random nonces risk repeating.
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t max_key_id_size = 16;

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

unsigned char* bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}
const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// One context per thread and direction, initialised afresh with key and nonce at every use:
// making and freeing one for each call cost more than the cipher work itself.
EVP_CIPHER_CTX* thread_context(bool encrypting) {
  thread_local const cipher_ctx sealing(EVP_CIPHER_CTX_new());
  thread_local const cipher_ctx opening(EVP_CIPHER_CTX_new());
  return encrypting ? sealing.get() : opening.get();
}

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > max_key_id_size) {
    return false;
  }
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// The blob's header ("<key id>:") is authenticated with the caller's associated data. A key id
// holds no ':', so the pair can be recovered from their concatenation: no two differ only in
// where one ends.
bool add_associated_data(EVP_CIPHER_CTX* ctx, std::string_view header, std::string_view ad,
                         bool encrypting) {
  auto update = encrypting ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  int length = 0;
  for (std::string_view part : {header, ad}) {
    if (!part.empty() &&
        update(ctx, nullptr, &length, bytes(part), static_cast<int>(part.size())) != 1) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::variant<data_keys, std::string> data_keys::parse(std::string_view file_text) {
  data_keys result;
  std::size_t line_number = 0;
  while (!file_text.empty()) {
    ++line_number;
    auto end = file_text.find('\n');
    auto line = security::trim_line(file_text.substr(0, end));
    file_text.remove_prefix(end == std::string_view::npos ? file_text.size() : end + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    // Errors name the line only: a malformed line may well be key material.
    auto where = "data keys line " + std::to_string(line_number) + ": ";
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return where + "expected KEY_ID:BASE64_KEY";
    }
    auto id = line.substr(0, colon);
    if (!valid_key_id(id)) {
      return where + "key id must be 1-16 characters of A-Z a-z 0-9 _ -";
    }
    if (result.find(id) != nullptr) {
      return where + "duplicate key id";
    }
    auto secret = security::from_base64(line.substr(colon + 1));
    if (!secret) {
      return where + "key is not standard padded base64";
    }
    if (secret->size() != key_size) {
      return where + "key must be 32 bytes";
    }
    result.keys_.push_back({std::string(id), std::move(*secret)});
  }
  if (result.keys_.empty()) {
    return std::string("data keys: the file holds no key");
  }
  // Lookups must find records written long ago, so their key changes as rarely as possible. The
  // routine rotation puts a new key on the first line, which leaves the last (oldest) key, and so
  // every lookup hash, as it was. Only retiring the oldest key changes them, and retiring a key
  // already needs a sweep that re-seals everything under the first key; that sweep rewrites the
  // lookup entries too, with hashes from a data_keys parsed without the retiring line.
  // The subkey keeps one key's bytes out of two different algorithms (AES and HMAC).
  result.lookup_key_ = hmac_sha256(result.keys_.back().secret, "supportd lookup v1");
  return result;
}

const data_keys::key* data_keys::find(std::string_view id) const {
  for (const auto& k : keys_) {
    if (k.id == id) {
      return &k;
    }
  }
  return nullptr;
}

std::string data_keys::seal(std::string_view plaintext, std::string_view associated_data) const {
  if (plaintext.size() > INT_MAX - tag_size) {
    throw std::length_error("data_keys::seal: plaintext too long");
  }
  const key& k = keys_.front();
  std::string blob = k.id + ':';
  const std::size_t header_size = blob.size();
  blob.resize(header_size + nonce_size + plaintext.size() + tag_size);
  unsigned char* nonce = bytes(blob) + header_size;
  unsigned char* ciphertext = nonce + nonce_size;
  unsigned char* tag = ciphertext + plaintext.size();

  random_bytes({nonce, nonce_size});
  auto* ctx = thread_context(true);
  int length = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx, aes_256_gcm(), nullptr, bytes(k.secret), nonce) == 1 &&
            add_associated_data(ctx, std::string_view(blob).substr(0, header_size), associated_data,
                                true) &&
            (plaintext.empty() || EVP_EncryptUpdate(ctx, ciphertext, &length, bytes(plaintext),
                                                    static_cast<int>(plaintext.size())) == 1) &&
            EVP_EncryptFinal_ex(ctx, ciphertext + length, &length) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), tag) == 1;
  if (!ok) {
    throw std::runtime_error("OpenSSL AES-256-GCM encryption failed");
  }
  return blob;
}

std::optional<std::string> data_keys::open(std::string_view sealed,
                                           std::string_view associated_data) const {
  auto colon = sealed.find(':');
  if (colon == std::string_view::npos || colon > max_key_id_size) {
    return std::nullopt;
  }
  const key* k = find(sealed.substr(0, colon));
  auto rest = sealed.substr(colon + 1);
  if (k == nullptr || rest.size() < nonce_size + tag_size || rest.size() > INT_MAX) {
    return std::nullopt;
  }
  auto nonce = rest.substr(0, nonce_size);
  auto ciphertext = rest.substr(nonce_size, rest.size() - nonce_size - tag_size);
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; it only reads.
  std::string tag(rest.substr(rest.size() - tag_size));
  std::string plaintext(ciphertext.size(), '\0');

  auto* ctx = thread_context(false);
  int length = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx, aes_256_gcm(), nullptr, bytes(k->secret), bytes(nonce)) == 1 &&
      add_associated_data(ctx, sealed.substr(0, colon + 1), associated_data, false) &&
      (ciphertext.empty() || EVP_DecryptUpdate(ctx, bytes(plaintext), &length, bytes(ciphertext),
                                               static_cast<int>(ciphertext.size())) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag.data()) == 1 &&
      // Checks the tag: fails on any change to the blob or the associated data.
      EVP_DecryptFinal_ex(ctx, bytes(plaintext) + length, &length) == 1;
  if (!ok) {
    return std::nullopt;
  }
  return plaintext;
}

std::string data_keys::lookup_hash(std::string_view purpose, std::string_view value) const {
  // The purpose's length goes first so that no (purpose, value) pair collides with another.
  std::string message = std::to_string(purpose.size()) + ':';
  message += purpose;
  message += value;
  return hmac_sha256(lookup_key_, message);
}

}  // namespace supportd::security

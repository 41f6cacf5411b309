#include "stripe_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace fake_stripe {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<std::size_t>(length) * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

std::string stripe_signature_header(std::string_view secret, std::int64_t timestamp,
                                    std::string_view payload) {
  auto t = std::to_string(timestamp);
  std::string signed_payload;
  signed_payload.reserve(t.size() + 1 + payload.size());
  signed_payload.append(t).append(".").append(payload);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_payload);
}

}  // namespace fake_stripe

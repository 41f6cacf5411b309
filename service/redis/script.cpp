#include "redis/script.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace supportd::redis {

script::script(std::string body) : body_(std::move(body)) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(body_.data(), body_.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA-1 unavailable");
  }
  static constexpr char hex[] = "0123456789abcdef";
  sha1_.reserve(std::size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    sha1_ += hex[digest[i] >> 4];
    sha1_ += hex[digest[i] & 0xf];
  }
}

}  // namespace supportd::redis

#include "security/secrets.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <stdexcept>

namespace supportd::security {

void random_bytes(std::span<unsigned char> out) {
  // RAND_bytes costs ~1.5 µs a call however few bytes it gives (a lock, a fork check, a reseed
  // check), and a pledge or a sign-up takes several: each thread draws a block at a time and
  // hands it out in order, wiping what it hands out. supportd never forks, so no two processes
  // can share a block.
  struct pool {
    std::array<unsigned char, 4096> bytes;
    std::size_t used = 4096;
    ~pool() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  };
  thread_local pool p;
  auto draw = [](unsigned char* to, std::size_t n) {
    if (RAND_bytes(to, static_cast<int>(n)) != 1) {
      throw std::runtime_error("OpenSSL RAND_bytes failed");
    }
  };
  if (out.size() > p.bytes.size() / 4) {
    draw(out.data(), out.size());
    return;
  }
  if (p.bytes.size() - p.used < out.size()) {
    draw(p.bytes.data(), p.bytes.size());
    p.used = 0;
  }
  std::copy_n(p.bytes.data() + p.used, out.size(), out.data());
  OPENSSL_cleanse(p.bytes.data() + p.used, out.size());
  p.used += out.size();
}

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  random_bytes({reinterpret_cast<unsigned char*>(raw.data()), raw.size()});
  auto token = base64url(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

namespace {

// OpenSSL 3 looks an algorithm up by name, under a lock, on every implicit use such as
// `EVP_sha256()` or `HMAC()`. Ids, tokens and signatures take several hashes and HMACs per
// request, so each algorithm is fetched once and each thread keeps one context for it.
const EVP_MD* sha256_digest() {
  static EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) {
      throw std::runtime_error("OpenSSL has no SHA256");
    }
    return fetched;
  }();
  return md;
}

constexpr std::size_t sha256_size = 32;

// This thread's HMAC context (RFC 2104 as OpenSSL's EVP_MAC does it), its digest set once:
// setting it looks SHA256 up again. Each use sets only the key.
EVP_MAC_CTX* hmac_sha256_context() {
  static EVP_MAC* const hmac = [] {
    EVP_MAC* fetched = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (fetched == nullptr) {
      throw std::runtime_error("OpenSSL has no HMAC");
    }
    return fetched;
  }();
  thread_local const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx = [] {
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> made(EVP_MAC_CTX_new(hmac),
                                                                   EVP_MAC_CTX_free);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    if (!made || EVP_MAC_CTX_set_params(made.get(), params) != 1) {
      throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
    }
    return made;
  }();
  return ctx.get();
}

}  // namespace

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, value, 16);
    if (ec != std::errc{} || end != hex.data() + 2 * i + 2) {
      return std::nullopt;
    }
    out[i] = static_cast<char>(value);
  }
  return out;
}

std::string sha256(std::string_view data) {
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 EVP_MD_CTX_free);
  std::string digest(sha256_size, '\0');
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), sha256_digest(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(digest.data()), nullptr) !=
          1) {
    throw std::runtime_error("OpenSSL SHA256 failed");
  }
  return digest;
}

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256(data));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  auto* ctx = hmac_sha256_context();
  // A null key means "the previous key" to EVP_MAC_init: an empty one must not be null.
  static const unsigned char no_key = 0;
  const auto* key_bytes =
      key.empty() ? &no_key : reinterpret_cast<const unsigned char*>(key.data());
  std::string mac(sha256_size, '\0');
  std::size_t written = 0;
  if (EVP_MAC_init(ctx, key_bytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(mac.data()), &written, mac.size()) != 1 ||
      written != sha256_size) {
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  }
  return mac;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // The key is random so an attacker cannot choose inputs whose digests collide; it lives as
  // long as the process.
  static const std::string key = [] {
    std::string k(sha256_size, '\0');
    random_bytes({reinterpret_cast<unsigned char*>(k.data()), k.size()});
    return k;
  }();
  const auto digest_a = hmac_sha256(key, a);
  const auto digest_b = hmac_sha256(key, b);
  return CRYPTO_memcmp(digest_a.data(), digest_b.data(), sha256_size) == 0;
}

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                      (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                      static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                      (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    if (c == '-')
      return 62;
    if (c == '_')
      return 63;
    return -1;
  };
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

std::string sign_link(std::string_view key, std::string_view purpose, std::string_view subject,
                      std::int64_t expires_unix) {
  auto expiry = std::to_string(expires_unix);
  std::string message = std::string(purpose) + "|" + std::string(subject) + "|" + expiry;
  return expiry + "." + base64url(hmac_sha256(key, message));
}

bool verify_link(std::string_view key, std::string_view purpose, std::string_view subject,
                 std::string_view token, std::int64_t now_unix) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos || key.empty()) {
    return false;
  }
  std::int64_t expiry = 0;
  auto expiry_text = token.substr(0, dot);
  auto [end, ec] =
      std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expiry);
  if (ec != std::errc{} || end != expiry_text.data() + expiry_text.size() || expiry < now_unix) {
    return false;
  }
  auto expected = sign_link(key, purpose, subject, expiry);
  return constant_time_equal(expected, token);
}

std::string base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  std::string url(text);
  while (!url.empty() && url.back() == '=') {
    url.pop_back();
  }
  for (char& c : url) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  auto raw = from_base64url(url);
  if (!raw || base64(*raw) != text) {
    return std::nullopt;
  }
  return raw;
}

std::string_view trim_line(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    line.remove_prefix(1);
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace supportd::security

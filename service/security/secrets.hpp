// Small cryptographic tools for tokens and secrets, on OpenSSL.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace supportd::security {

// Compares secrets without telling their content or their length: both sides are reduced to
// fixed-size HMAC-SHA256 digests under a random per-process key, and the two 32-byte digests
// compared in constant time. A length mismatch takes the same path as a content mismatch (no
// early return), so a guesser learns nothing about how long the secret is.
bool constant_time_equal(std::string_view a, std::string_view b);

// Fills `out` from OpenSSL's CSPRNG (drawn in blocks: cheap for the few bytes of a nonce or id).
void random_bytes(std::span<unsigned char> out);
// `bytes` random bytes from OpenSSL's CSPRNG, base64url without padding.
std::string random_token(std::size_t bytes);

std::string sha256(std::string_view data);  // raw 32 bytes
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string to_hex(std::string_view bytes);
// The bytes of lowercase or uppercase hex; nullopt for an odd length or any other character.
std::optional<std::string> from_hex(std::string_view hex);
std::string base64url(std::string_view bytes);
// Standard base64 with padding. Decoding takes only the one spelling an encoder writes (the text
// must re-encode to itself): wrong padding, the URL alphabet and stray trailing bits are refused.
std::string base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);
// A line of a secrets file without the spaces, tabs and carriage return around it.
std::string_view trim_line(std::string_view line);
std::optional<std::string> from_base64url(std::string_view text);

// Signed, expiring tokens for links in emails: "<expiry unix s>.<base64url HMAC>" over
// "<purpose>|<subject>|<expiry>". Tampering with any part, or using it for another purpose or
// subject, or after expiry, fails verification.
std::string sign_link(std::string_view key, std::string_view purpose, std::string_view subject,
                      std::int64_t expires_unix);
bool verify_link(std::string_view key, std::string_view purpose, std::string_view subject,
                 std::string_view token, std::int64_t now_unix);

}  // namespace supportd::security

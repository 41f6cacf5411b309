#include "notify/standard_webhooks.hpp"

#include <openssl/evp.h>

#include "security/secrets.hpp"

namespace supportd::notify {
namespace {

constexpr std::string_view version_prefix = "v1,";

std::string signed_content(std::string_view msg_id, std::int64_t timestamp, std::string_view body) {
  std::string content(msg_id);
  content += '.';
  content += std::to_string(timestamp);
  content += '.';
  content += body;
  return content;
}

}  // namespace

std::string signature_header(std::string_view msg_id, std::int64_t timestamp, std::string_view body,
                             std::span<const std::string> keys) {
  auto content = signed_content(msg_id, timestamp, body);
  std::string header;
  for (const auto& key : keys) {
    if (!header.empty()) {
      header += ' ';
    }
    header += version_prefix;
    header += security::base64(security::hmac_sha256(key, content));
  }
  return header;
}

bool verify_signature(std::string_view header, std::string_view msg_id, std::int64_t timestamp,
                      std::string_view body, std::span<const std::string> keys) {
  auto content = signed_content(msg_id, timestamp, body);
  std::vector<std::string> expected;
  expected.reserve(keys.size());
  for (const auto& key : keys) {
    expected.push_back(security::base64(security::hmac_sha256(key, content)));
  }
  bool matched = false;
  while (!header.empty()) {
    auto end = header.find(' ');
    auto entry = header.substr(0, end);
    header.remove_prefix(end == std::string_view::npos ? header.size() : end + 1);
    // Entries of other versions are skipped, as the spec asks, so that a sender may add them.
    if (!entry.starts_with(version_prefix)) {
      continue;
    }
    entry.remove_prefix(version_prefix.size());
    for (const auto& signature : expected) {
      matched |= security::constant_time_equal(entry, signature);
    }
  }
  return matched;
}

}  // namespace supportd::notify

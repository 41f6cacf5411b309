#include "notify/standard_webhooks.hpp"

#include <openssl/evp.h>

#include "security/secrets.hpp"

namespace supportd::notify {
namespace {

constexpr std::string_view secret_prefix = "whsec_";
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

std::optional<std::string> decode_webhook_secret(std::string_view whsec) {
  if (!whsec.starts_with(secret_prefix)) {
    return std::nullopt;
  }
  auto key = security::from_base64(whsec.substr(secret_prefix.size()));
  if (!key || key->empty()) {
    return std::nullopt;
  }
  return key;
}

std::variant<std::vector<std::string>, std::string> parse_secret_file(std::string_view text) {
  std::vector<std::string> keys;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    auto end = text.find('\n');
    auto line = security::trim_line(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty()) {
      continue;
    }
    auto key = decode_webhook_secret(line);
    if (!key) {
      return "webhook secrets line " + std::to_string(line_number) +
             ": expected whsec_ followed by non-empty padded base64";
    }
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) {
    return std::string("webhook secrets: the file holds no secret");
  }
  return keys;
}

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

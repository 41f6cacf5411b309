#include "security/webhook_secrets.hpp"

#include "security/secrets.hpp"

namespace supportd::security {
namespace {

constexpr std::string_view secret_prefix = "whsec_";

}  // namespace

std::optional<std::string> decode_webhook_secret(std::string_view whsec) {
  if (!whsec.starts_with(secret_prefix)) {
    return std::nullopt;
  }
  auto key = from_base64(whsec.substr(secret_prefix.size()));
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
    auto line = trim_line(text.substr(0, end));
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

}  // namespace supportd::security

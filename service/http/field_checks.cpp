#include "http/field_checks.hpp"

#include <algorithm>
#include <cctype>

namespace supportd::http {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool printable(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool is_token(std::string_view s) {
  return s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '/';
         });
}

bool is_locale(std::string_view s) {
  if (s.empty() || s.size() > 35) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::optional<std::string> normalize_email(std::string_view email) {
  auto trimmed = trim(email);
  if (trimmed.size() < 3 || trimmed.size() > 254 || !printable(trimmed)) {
    return std::nullopt;
  }
  auto at = trimmed.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 ||
      trimmed.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto domain = trimmed.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  if (std::any_of(trimmed.begin(), trimmed.end(),
                  [](char c) { return c == ' ' || c == ',' || c == '<' || c == '>'; })) {
    return std::nullopt;
  }
  std::string normalized(trimmed);
  std::transform(normalized.begin(), normalized.end(), normalized.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return normalized;
}

}  // namespace supportd::http

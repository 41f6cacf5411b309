#include "http/field_checks.hpp"

#include <algorithm>
#include <cctype>

#include "common/url.hpp"

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

bool is_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      if (lead < 0x20 || lead == 0x7f) {
        return false;
      }
      ++i;
      continue;
    }
    // RFC 3629 section 4: the lead byte fixes the length and the range of the first
    // continuation byte, which rules out overlong forms, surrogates and code points past
    // U+10FFFF.
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      low = lead == 0xe0 ? 0xa0 : 0x80;
      high = lead == 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      low = lead == 0xf0 ? 0x90 : 0x80;
      high = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
      return false;
    }
    if (s.size() - i < length) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xbf)) {
        return false;
      }
    }
    // C1 controls, U+0080 to U+009F: C2 80 to C2 9F.
    if (lead == 0xc2 && static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      return false;
    }
    i += length;
  }
  return true;
}

std::optional<field_error> text_field_error(std::string_view field, std::string_view value) {
  if (is_text(value)) {
    return std::nullopt;
  }
  return field_error{std::string(field), "invalid_text",
                     std::string(field) + " must be UTF-8 text without control characters."};
}

field_error card_number_error() {
  return {"body", "card_number",
          "A value looks like a card number. Card details are entered only on the payment "
          "provider's page, never sent here."};
}

std::optional<field_error> page_url_error(std::string_view field, std::string_view url,
                                          const std::vector<std::string>& allowed_origins) {
  auto origin = common::origin_of(url);
  if (!origin) {
    return field_error{std::string(field), "invalid_url",
                       std::string(field) + " must be an http(s) URL."};
  }
  if (std::find(allowed_origins.begin(), allowed_origins.end(), *origin) == allowed_origins.end()) {
    return field_error{std::string(field), "origin_not_allowed",
                       std::string(field) + " must be a page on an allowed origin."};
  }
  return std::nullopt;
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

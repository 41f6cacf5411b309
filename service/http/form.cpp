#include "http/form.hpp"

namespace supportd::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> decode_form_component(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= encoded.size()) {
        return std::nullopt;
      }
      int high = hex_value(encoded[i + 1]);
      int low = hex_value(encoded[i + 2]);
      if (high < 0 || low < 0) {
        return std::nullopt;
      }
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool for_each_form_field(std::string_view body,
                         const std::function<void(std::string_view, std::string_view)>& field) {
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (pair.empty()) {
      continue;
    }
    auto eq = pair.find('=');
    auto name = decode_form_component(pair.substr(0, eq));
    auto value = decode_form_component(eq == std::string_view::npos ? std::string_view{}
                                                                    : pair.substr(eq + 1));
    if (!name || !value) {
      return false;
    }
    field(*name, *value);
  }
  return true;
}

std::string form_field(std::string_view body, std::string_view name) {
  std::string found;
  bool seen = false;
  for_each_form_field(body, [&](std::string_view k, std::string_view v) {
    if (k == name && !seen) {
      found = v;
      seen = true;
    }
  });
  return found;
}

std::string encode_form_component(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xf];
    }
  }
  return out;
}

}  // namespace supportd::http

#include "http/message.hpp"

#include <algorithm>
#include <cctype>

#include "http/form.hpp"

namespace supportd::http {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view request::header_value(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) {
      return h.value;
    }
  }
  return {};
}

std::string_view request::bearer_token() const {
  auto authorization = header_value("Authorization");
  if (authorization.size() > 7 && iequals(authorization.substr(0, 7), "Bearer ")) {
    return authorization.substr(7);
  }
  return {};
}

std::string_view request::path_param(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

bool request::has_media_type(std::string_view type) const {
  auto value = header_value("Content-Type");
  auto media = value.substr(0, value.find(';'));
  while (!media.empty() && media.back() == ' ') {
    media.remove_suffix(1);
  }
  return iequals(media, type);
}

std::string request::query_param(std::string_view name) const {
  return form_field(query, name);
}

}  // namespace supportd::http

#include "http/client_address.hpp"

namespace supportd::http {
namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view client_address(const request& req, std::string_view trusted_header,
                                unsigned trusted_hops) {
  if (trusted_header.empty() || trusted_hops == 0) {
    return req.client_address;
  }
  // Right to left over the whole list: the last line first, each line's entries from its end.
  unsigned skip = trusted_hops - 1;
  for (auto h = req.headers.rbegin(); h != req.headers.rend(); ++h) {
    if (!iequals(h->name, trusted_header)) {
      continue;
    }
    std::string_view line = h->value;
    while (true) {
      auto comma = line.rfind(',');
      auto entry = trim_spaces(comma == std::string_view::npos ? line : line.substr(comma + 1));
      // RFC 9110 section 5.6.1: empty list elements are not entries.
      if (!entry.empty()) {
        if (skip == 0) {
          return entry.size() > 45 ? req.client_address : entry;
        }
        --skip;
      }
      if (comma == std::string_view::npos) {
        break;
      }
      line = line.substr(0, comma);
    }
  }
  return req.client_address;
}

}  // namespace supportd::http

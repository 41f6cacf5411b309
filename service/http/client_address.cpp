#include "http/client_address.hpp"

namespace supportd::http {

std::string_view client_address(const request& req, std::string_view trusted_header) {
  if (trusted_header.empty()) {
    return req.client_address;
  }
  auto value = req.header_value(trusted_header);
  auto comma = value.rfind(',');
  auto last = comma == std::string_view::npos ? value : value.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') {
    last.remove_prefix(1);
  }
  while (!last.empty() && last.back() == ' ') {
    last.remove_suffix(1);
  }
  return last.empty() || last.size() > 45 ? req.client_address : last;
}

}  // namespace supportd::http

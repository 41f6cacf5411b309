#include "http/request_id.hpp"

#include <algorithm>
#include <random>

namespace supportd::http {

bool is_sane_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

std::string generate_request_id() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (std::size_t i = 0; i < id.size(); i += 16) {
    auto bits = engine();
    for (std::size_t j = 0; j < 16; ++j, bits >>= 4) {
      id[i + j] = hex[bits & 0xf];
    }
  }
  return id;
}

}  // namespace supportd::http

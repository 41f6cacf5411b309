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

std::string_view generate_request_id(std::array<char, 32>& storage) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < storage.size(); i += 16) {
    auto bits = engine();
    for (std::size_t j = 0; j < 16; ++j, bits >>= 4) {
      storage[i + j] = hex[bits & 0xf];
    }
  }
  return {storage.data(), storage.size()};
}

}  // namespace supportd::http

#include "http/framing.hpp"

#include <algorithm>

#include "http/message.hpp"

namespace supportd::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::string_view> refuse_framing(const framing_headers& headers) {
  const bool has_length = !headers.content_length.empty();
  const bool has_encoding = !headers.transfer_encoding.empty();

  if (has_length && has_encoding) {
    return "Content-Length together with Transfer-Encoding";
  }
  if (headers.content_length.size() > 1) {
    return "several Content-Length fields";
  }
  if (has_length) {
    // A list ("5, 5") is several values too, and anything but digits is not a length.
    if (!all_digits(trim(headers.content_length.front()))) {
      return "Content-Length is not a single decimal number";
    }
  }
  if (has_encoding) {
    if (headers.version < 11) {
      return "Transfer-Encoding in HTTP/1.0";
    }
    if (headers.transfer_encoding.size() > 1 ||
        !iequals(trim(headers.transfer_encoding.front()), "chunked")) {
      return "Transfer-Encoding other than exactly chunked";
    }
  }
  return std::nullopt;
}

}  // namespace supportd::http

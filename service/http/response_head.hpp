// The status line and header block of a response, written straight into one buffer.
//
// Cheaper than Beast's serializer for supportd's small responses: one contiguous write, no
// per-field allocation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace supportd::http {

struct response_framing {
  unsigned version = 11;  // 10 or 11, as the request's
  bool keep_alive = true;
  bool secure = false;  // adds HSTS
  std::string_view request_id;
};

// Appends "HTTP/1.1 200 OK\r\n…\r\n\r\n" for `res` (whose body is `res.body.size()` bytes, sent
// or not) to `out`.
void append_response_head(std::string& out, const response& res, const response_framing& framing);

std::string_view reason_phrase(int status);

}  // namespace supportd::http

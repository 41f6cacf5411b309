// Request-smuggling defence: the message framings supportd refuses.
//
// Boost 1.81's Beast parser accepts several ambiguous framings (see BRIEF.md), so the session
// checks every request header with this before it reads a body. A refused request gets 400 and
// the connection is closed, since its body boundary cannot be trusted.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace supportd::http {

struct framing_headers {
  unsigned version = 11;                            // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::vector<std::string_view> content_length;     // every Content-Length field value
  std::vector<std::string_view> transfer_encoding;  // every Transfer-Encoding field value
};

// nullopt when the framing is unambiguous, else why it is refused.
std::optional<std::string_view> refuse_framing(const framing_headers& headers);

}  // namespace supportd::http

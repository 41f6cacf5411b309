// A Redis reply as a plain value, copied out of hiredis's reply tree.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace supportd::redis {

struct reply {
  enum class kind { nil, integer, string, status, error, array };

  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string text{};  // string, status and error replies
  std::vector<reply> elements{};

  bool is_nil() const { return type == kind::nil; }
  bool is_error() const { return type == kind::error; }
};

// Deep-copies a hiredis reply. Nesting deeper than `max_depth` is refused (nullopt), so a
// malformed or hostile reply cannot exhaust the stack.
std::optional<reply> from_hiredis(const redisReply* raw, int max_depth = 16);

// Typed views. A reply of another type is errc::unexpected_reply; an error reply is
// errc::server_error.
boost::system::result<std::int64_t> as_integer(const reply& r);
// A bulk string or status; nil is unexpected here (use as_optional_string).
boost::system::result<std::string> as_string(const reply& r);
boost::system::result<std::optional<std::string>> as_optional_string(const reply& r);
boost::system::result<std::vector<std::string>> as_string_array(const reply& r);
// A status reply equal to `expected` (e.g. "OK", "PONG").
boost::system::result<void> expect_status(const reply& r, std::string_view expected);

}  // namespace supportd::redis

#include "redis/key_scan.hpp"

#include "redis/connection.hpp"
#include "redis/errc.hpp"

namespace supportd::redis {

std::string glob_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

awaitable<boost::system::result<scan_page>> scan_step(connection& redis, std::string_view cursor,
                                                      std::string_view pattern,
                                                      std::string_view count) {
  std::string_view scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", count};
  auto reply = co_await redis.command(scan);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != reply::kind::array || reply->elements.size() != 2) {
    co_return make_error_code(errc::unexpected_reply);
  }
  auto next = as_string(reply->elements[0]);
  auto keys = as_string_array(reply->elements[1]);
  if (!next || !keys) {
    co_return make_error_code(errc::unexpected_reply);
  }
  co_return scan_page{std::move(*next), std::move(*keys)};
}

}  // namespace supportd::redis

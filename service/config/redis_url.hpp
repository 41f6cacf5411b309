// Where Redis is: `redis://[:password@]host:port[/db]` or `unix:///path.sock`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supportd::config {

struct redis_endpoint {
  std::string host;  // empty for a Unix socket
  int port = 6379;
  std::string socket_path;  // empty for TCP
  std::string password;     // empty: no AUTH
  int db = 0;
};

// Returns nullopt with a reason in `error` when the URL is not one of the two forms.
std::optional<redis_endpoint> parse_redis_url(std::string_view url, std::string& error);

}  // namespace supportd::config

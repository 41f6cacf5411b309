#include "config/redis_url.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <charconv>

namespace supportd::config {

std::optional<redis_endpoint> parse_redis_url(std::string_view url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "not a URL";
    return std::nullopt;
  }
  redis_endpoint endpoint;
  if (parsed->scheme() == "unix") {
    endpoint.socket_path = parsed->path();
    if (parsed->has_authority() && !parsed->encoded_host().empty()) {
      error = "unix:// takes no host (unix:///path/to/redis.sock)";
      return std::nullopt;
    }
    if (endpoint.socket_path.empty() || endpoint.socket_path.front() != '/') {
      error = "unix:// needs an absolute socket path";
      return std::nullopt;
    }
    return endpoint;
  }
  if (parsed->scheme() != "redis" && parsed->scheme() != "rediss") {
    error = "scheme must be redis://, rediss:// or unix://";
    return std::nullopt;
  }
  endpoint.tls = parsed->scheme() == "rediss";
  endpoint.host = parsed->host();
  if (endpoint.host.empty()) {
    error = "missing host";
    return std::nullopt;
  }
  if (parsed->has_port()) {
    auto port = parsed->port_number();
    if (port == 0) {
      error = "bad port";
      return std::nullopt;
    }
    endpoint.port = port;
  }
  if (parsed->has_userinfo()) {
    // redis://user:password@host (an ACL user) or redis://:password@host (the default user).
    endpoint.username = parsed->user();
  }
  if (parsed->has_password()) {
    endpoint.password = parsed->password();
  }
  if (!endpoint.username.empty() && endpoint.password.empty()) {
    error = "a user needs a password (redis://user:password@host)";
    return std::nullopt;
  }
  std::string_view path = parsed->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    int db = -1;
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size() || db < 0 || db > 15) {
      error = "database must be a number from 0 to 15";
      return std::nullopt;
    }
    endpoint.db = db;
  }
  if (parsed->has_query() || parsed->has_fragment()) {
    error = "query and fragment are not supported";
    return std::nullopt;
  }
  return endpoint;
}

std::optional<std::vector<common::host_port>> parse_host_port_list(std::string_view text,
                                                                   std::string& error) {
  std::vector<common::host_port> list;
  if (text.empty()) {
    error = "empty";
    return std::nullopt;
  }
  for (std::size_t start = 0; start <= text.size();) {
    auto comma = std::min(text.find(',', start), text.size());
    auto parsed = common::parse_host_port(text.substr(start, comma - start));
    if (!parsed || parsed->host.empty() || parsed->port == 0) {
      error = "not a host:port list";
      return std::nullopt;
    }
    list.push_back(std::move(*parsed));
    start = comma + 1;
  }
  return list;
}

}  // namespace supportd::config

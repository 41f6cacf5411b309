#include "redis/redis_settings.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <charconv>

namespace supportd::redis {

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

}  // namespace supportd::redis

namespace supportd::redis {

std::variant<redis_settings, std::string> read_redis_settings(const redis_setting_texts& t) {
  auto refuse = [](std::string_view flag, std::string_view why) {
    return "--" + std::string(flag) + ": " + std::string(why);
  };
  redis_settings s;
  std::string why;
  auto endpoint = parse_redis_url(t.url, why);
  if (!endpoint) {
    // The URL may hold a password: name the problem, never echo the value.
    return refuse("redis-url", why);
  }
  s.endpoint = std::move(*endpoint);
  if (!t.username.empty()) {
    s.endpoint.username = t.username;
  }
  if (!t.password.empty()) {
    s.endpoint.password = t.password;
  }
  if (!s.endpoint.username.empty() && s.endpoint.password.empty()) {
    return refuse("redis-username", "needs a password (--redis-password-file or in --redis-url)");
  }
  s.tls = t.tls;
  if (!s.endpoint.tls && (!s.tls.ca_file.empty() || !s.tls.cert_file.empty())) {
    return refuse("redis-ca-file", "TLS files need a rediss:// --redis-url");
  }
  if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
    return refuse("redis-cert-file", "--redis-cert-file and --redis-key-file go together");
  }
  if (!t.sentinels.empty()) {
    auto sentinels = parse_host_port_list(t.sentinels, why);
    if (!sentinels) {
      return refuse("redis-sentinels", why);
    }
    s.sentinel.sentinels = std::move(*sentinels);
    s.sentinel.master_name = t.master_name;
    if (s.sentinel.master_name.empty()) {
      return refuse("redis-master-name", "required with --redis-sentinels");
    }
    if (!s.endpoint.socket_path.empty()) {
      return refuse("redis-sentinels",
                    "sentinels name a TCP server: --redis-url cannot be unix://");
    }
    s.sentinel.username = t.sentinel_username;
    s.sentinel.password = t.sentinel_password;
  } else if (!t.master_name.empty()) {
    return refuse("redis-master-name", "needs --redis-sentinels");
  }
  s.wait_replicas = t.wait_replicas;
  if (s.wait_replicas < 0 || s.wait_replicas > 16) {
    return refuse("redis-wait-replicas", "must be from 0 to 16");
  }
  s.wait_timeout = t.wait_timeout;
  if (s.wait_timeout.count() <= 0 || s.wait_timeout > std::chrono::seconds(10)) {
    return refuse("redis-wait-timeout", "must be above 0 and at most 10s");
  }
  // Redis reads nothing more from a connection blocked in WAIT: every command a worker sends
  // meanwhile waits behind it, and must still make its own deadline.
  if (s.wait_replicas > 0 && s.wait_timeout * 2 > t.command_timeout) {
    return refuse("redis-wait-timeout", "must be at most half of --redis-timeout");
  }
  return s;
}

}  // namespace supportd::redis

// Where Redis is and how to reach it: `redis://[[user]:password@]host:port[/db]`,
// `rediss://…` (the same over TLS) or `unix:///path.sock`; and, for a Sentinel-managed primary,
// the sentinels to ask for it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/host_port.hpp"

namespace supportd::redis {

struct redis_endpoint {
  std::string host{};  // empty for a Unix socket
  int port = 6379;
  std::string socket_path{};  // empty for TCP
  bool tls = false;           // rediss://
  std::string username{};     // empty: AUTH with the password alone (the `default` user)
  std::string password{};     // empty: no AUTH
  int db = 0;
};

// The files of a TLS connection to Redis (and to its sentinels). Empty: the system's trust store
// and no client certificate.
struct redis_tls_files {
  std::string ca_file{};
  std::string cert_file{};
  std::string key_file{};
};

// Redis Sentinel (https://redis.io/docs/management/sentinel/): the sentinels know which server is
// the primary named `master_name` now; the URL's host and port are then not used, its TLS,
// credentials and database are.
struct redis_sentinel_settings {
  std::vector<common::host_port> sentinels{};
  std::string master_name{};
  std::string username{};  // the sentinels' own ACL user, if they require one
  std::string password{};
};

struct redis_settings {
  redis_endpoint endpoint;
  redis_tls_files tls;
  redis_sentinel_settings sentinel;  // no sentinels: the URL names the server
  // Replicas that must confirm a write (WAIT) before supportd acknowledges it to the outside;
  // 0 does not wait.
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{1000};
};

// Returns nullopt with a reason in `error` when the URL is not one of the three forms.
std::optional<redis_endpoint> parse_redis_url(std::string_view url, std::string& error);

// The --redis-* settings as config/ reads them: their text, and the secrets from their files.
struct redis_setting_texts {
  std::string url{};
  std::string username{};
  std::string password{};  // --redis-password-file's content
  redis_tls_files tls{};
  std::string sentinels{};  // "host:port,host:port"
  std::string master_name{};
  std::string sentinel_username{};
  std::string sentinel_password{};
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{1000};
  std::chrono::milliseconds command_timeout{2000};  // --redis-timeout
};

// The settings, or "--flag: why" for the first one that is wrong or missing its partner. A
// password in the URL is never repeated.
std::variant<redis_settings, std::string> read_redis_settings(const redis_setting_texts& t);

// "host:port,host:port,…"; nullopt with a reason when an entry is not one.
std::optional<std::vector<common::host_port>> parse_host_port_list(std::string_view text,
                                                                   std::string& error);

}  // namespace supportd::redis

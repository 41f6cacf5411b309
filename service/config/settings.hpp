// supportd's settings: every one a command-line flag and a SUPPORTD_* environment variable.
//
// The environment name of `--listen-https` is SUPPORTD_LISTEN_HTTPS. A flag wins over the
// environment. Secrets come from files named by settings, never from the command line itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/host_port.hpp"
#include "config/redis_url.hpp"
#include "log/logger.hpp"

namespace supportd::config {

struct settings {
  std::optional<host_port> listen_https;
  std::optional<host_port> listen_http;
  std::string tls_cert_file;
  std::string tls_key_file;

  redis_endpoint redis;
  std::string redis_prefix = "supportd:";
  std::chrono::milliseconds redis_timeout{2000};

  unsigned threads = 1;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds drain_timeout{10'000};

  // Empty when --admin-token-file is not set: the admin API is then off.
  std::string admin_token;
  log::level log_level = log::level::info;
};

enum class parse_outcome { run, help, version, invalid };

struct parse_result {
  parse_outcome outcome = parse_outcome::invalid;
  settings values;
  // --help text, or one line naming the bad setting.
  std::string message;
};

// `environment` holds "NAME=VALUE" entries, as in `environ`.
parse_result parse_settings(int argc, const char* const* argv,
                            const std::vector<std::string>& environment);

// "listen-https" -> "SUPPORTD_LISTEN_HTTPS".
std::string environment_name(const std::string& flag);

}  // namespace supportd::config

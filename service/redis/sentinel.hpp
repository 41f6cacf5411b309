// Redis Sentinel, as a client uses it (https://redis.io/docs/reference/sentinel-clients/): ask
// the sentinels which server is the primary now, and hear from them when it changes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "common/host_port.hpp"
#include "core/net.hpp"
#include "redis/link.hpp"
#include "redis/redis_settings.hpp"
#include "redis/reply.hpp"

namespace supportd::redis {

// The reply to `SENTINEL get-master-addr-by-name`: [ip, port]. Nil (the sentinel does not know
// the name) and any other shape are errors.
boost::system::result<common::host_port> parse_primary_address(const reply& r);

// A `+switch-master` message, "<name> <old-ip> <old-port> <new-ip> <new-port>": the new
// primary's address when it is about `master_name`.
std::optional<common::host_port> parse_switch_master(std::string_view message,
                                                     std::string_view master_name);

// Keep it in a shared_ptr: its coroutines hold one while they run.
class sentinel_client : public std::enable_shared_from_this<sentinel_client> {
 public:
  sentinel_client(net::io_context& io, redis::redis_sentinel_settings settings,
                  std::shared_ptr<net::ssl::context> tls, std::chrono::milliseconds timeout);

  // The primary's address, from the first sentinel that knows it (which is then asked first
  // next time). errc::not_connected when none answers.
  awaitable<boost::system::result<common::host_port>> locate_primary();

  // Subscribes to `+switch-master` on one sentinel after another, for as long as `alive` holds,
  // and calls `on_switch` with the new address of this client's primary.
  awaitable<void> watch_switches(std::shared_ptr<bool> alive,
                                 std::function<void(const common::host_port&)> on_switch);

  // Stops a watch under way.
  void stop();

 private:
  awaitable<boost::system::result<std::shared_ptr<link>>> open(const common::host_port& sentinel);

  net::io_context& io_;
  redis::redis_sentinel_settings settings_;
  std::shared_ptr<net::ssl::context> tls_;
  std::chrono::milliseconds timeout_;
  std::size_t first_ = 0;
  std::shared_ptr<link> watching_;
};

}  // namespace supportd::redis

// One connection to Redis, with co_await-able commands: a byte stream Asio owns (TCP, a Unix
// socket or TLS, see link.hpp) and hiredis's parser for the replies.
//
// Many commands may be in flight at once; they are pipelined on the one stream. Each command has
// a deadline. When the connection drops (restart, network, failover), every waiting command fails
// with errc::connection_lost, new commands fail fast with errc::not_connected, and the
// connection reconnects by itself with jittered backoff. With sentinels it asks them for the
// primary before each connection, checks with ROLE that it is one, follows their
// `+switch-master` announcements, and drops a connection whose server answers READONLY (a
// demoted primary), so that it never writes to a replica.
//
// Not thread-safe: construct, use and destroy it on the thread that runs its io_context.
// supportd gives every worker thread its own connection.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/net.hpp"
#include "redis/client_metrics.hpp"
#include "redis/redis_settings.hpp"
#include "redis/reply.hpp"
#include "redis/script.hpp"

namespace supportd::redis {

class link;
class sentinel_client;

using result = boost::system::result<reply>;

class connection {
 public:
  struct options {
    redis::redis_endpoint endpoint;
    // For rediss:// (and the sentinels then): make_redis_tls_context() in link.hpp.
    std::shared_ptr<net::ssl::context> tls{};
    // Sentinels to ask for the primary; none: `endpoint` names the server.
    redis::redis_sentinel_settings sentinel{};
    std::chrono::milliseconds command_timeout{2000};
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds max_backoff{2000};
    // Commands waiting for replies at most; more fail with errc::overloaded. Bounds memory when
    // Redis stops answering.
    std::size_t max_pending = 50'000;
    // Consecutive command timeouts after which the connection is dropped and made anew.
    int timeouts_before_reconnect = 3;
  };

  connection(net::io_context& io, options opts, client_metrics* metrics);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Starts connecting; commands succeed once ready() is true.
  void start();
  // Fails every waiting command and stops reconnecting.
  void close();

  // Connected, authenticated and the database selected.
  bool ready() const { return ready_.load(std::memory_order_relaxed); }
  // Counts the sessions this connection has had: a command sent in one session and a WAIT in
  // the next are about different connections (WAIT only counts the writes of its own).
  std::uint64_t generation() const { return generation_; }

  // Pass a named array (`std::string_view args[] = {"GET", key};`): g++ 12 rejects a braced
  // list inside a co_await expression.
  awaitable<result> command(std::span<const std::string_view> args);
  // The same with its own deadline (the readiness probe wants a shorter one).
  awaitable<result> command(std::span<const std::string_view> args,
                            std::chrono::milliseconds timeout);

  // EVALSHA, and EVAL when Redis does not know the script yet.
  awaitable<result> run(const script& s, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args);
  // run() of a script that answers 1 (true) or 0 (false).
  awaitable<boost::system::result<bool>> run_for_flag(const script& s,
                                                      std::span<const std::string_view> keys,
                                                      std::span<const std::string_view> args);

 private:
  struct pending;

  awaitable<result> send(std::span<const std::string_view> args, std::chrono::milliseconds timeout);
  // Connects, reads replies while the connection lasts, and connects again, until close().
  awaitable<void> keep_connected(std::shared_ptr<bool> run);
  // A connected, authenticated link on the right database of the primary; null on failure.
  awaitable<std::shared_ptr<link>> open_session(std::shared_ptr<bool> run);
  awaitable<void> read_replies(std::shared_ptr<link> l, std::shared_ptr<bool> run);
  // Hands a reply to the command waiting for it; false when the server is no primary any more.
  bool take_reply(reply r);
  awaitable<void> write_queued(std::shared_ptr<link> l, std::shared_ptr<bool> alive);
  void flush();
  void drop_session();
  // Fails every waiting command; the next session starts clean.
  void end_session();
  awaitable<void> back_off();
  // Logs a connection failure once, not on every retry of the same failure.
  void report_failure(const std::string& what);

  net::io_context& io_;
  options options_;
  client_metrics* metrics_;
  std::shared_ptr<sentinel_client> sentinel_;
  std::shared_ptr<link> link_;                    // the current session's; null between sessions
  std::shared_ptr<link> connecting_;              // the one being opened
  common::host_port session_address_;             // where the current (or next) session is
  std::deque<std::shared_ptr<pending>> waiting_;  // in the order their replies will come
  std::string unwritten_;                         // commands not handed to the stream yet
  bool writing_ = false;
  net::steady_timer backoff_timer_;
  std::optional<common::host_port> announced_primary_;  // from +switch-master, tried first
  std::string last_failure_;
  int timeouts_in_a_row_ = 0;
  int failed_attempts_ = 0;
  std::uint64_t generation_ = 0;
  // Read by the metrics scrape from other threads.
  std::atomic<bool> ready_{false};
  bool closing_ = true;
  bool ever_connected_ = false;
  // Cleared by the destructor so that coroutines still suspended on the io_context do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Cleared by close(): the session loop and the sentinel watch of the run start() began end.
  std::shared_ptr<bool> run_ = std::make_shared<bool>(false);
};

}  // namespace supportd::redis

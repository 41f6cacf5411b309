// One connection to Redis: hiredis 0.14's async API driven by an Asio io_context, with
// co_await-able commands.
//
// Many commands may be in flight at once; hiredis pipelines them on the one socket. Each command
// has a deadline. When Redis drops the connection (restart, network), every waiting command
// fails with errc::connection_lost, new commands fail fast with errc::not_connected, and the
// connection reconnects by itself with jittered backoff.
//
// Not thread-safe: construct, use and destroy it on the thread that runs its io_context.
// supportd gives every worker thread its own connection.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "config/redis_url.hpp"
#include "core/net.hpp"
#include "redis/client_metrics.hpp"
#include "redis/reply.hpp"
#include "redis/script.hpp"

struct redisAsyncContext;

namespace supportd::redis {

using result = boost::system::result<reply>;

class connection {
 public:
  struct options {
    config::redis_endpoint endpoint;
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
  struct watch;
  struct pending;

  awaitable<result> send(std::span<const std::string_view> args, std::chrono::milliseconds timeout,
                         bool during_handshake);
  awaitable<void> handshake();
  void connect();
  void open(const std::string& address);
  void schedule_reconnect();
  void on_context_freed();

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* raw_reply, void* privdata);

  net::io_context& io_;
  options options_;
  client_metrics* metrics_;
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<watch> watch_;
  net::steady_timer reconnect_timer_;
  net::steady_timer connect_timer_;
  net::ip::tcp::resolver resolver_;
  bool resolving_ = false;
  int timeouts_in_a_row_ = 0;
  std::size_t pending_ = 0;
  int failed_attempts_ = 0;
  std::uint64_t generation_ = 0;
  // Read by the metrics scrape from other threads.
  std::atomic<bool> ready_{false};
  bool closing_ = false;
  bool ever_connected_ = false;
  // Cleared by the destructor so that handlers still queued on the io_context do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace supportd::redis

#include "redis/connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <random>
#include <vector>

#include "log/logger.hpp"
#include "redis/command_format.hpp"
#include "redis/errc.hpp"

namespace supportd::redis {

// Watches hiredis's socket for the read and write readiness hiredis asks for through its
// `ev` hooks. hiredis owns the descriptor: it is released, never closed, here.
struct connection::watch : std::enable_shared_from_this<watch> {
  watch(net::io_context& io, int fd, connection* o) : descriptor(io, fd), owner(o) {}

  net::posix::stream_descriptor descriptor;
  connection* owner;
  redisAsyncContext* context = nullptr;
  bool want_read = false;
  bool want_write = false;
  bool read_armed = false;
  bool write_armed = false;

  void arm_read() {
    if (read_armed || context == nullptr) {
      return;
    }
    read_armed = true;
    descriptor.async_wait(net::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](error_code ec) {
                            self->read_armed = false;
                            if (ec || self->context == nullptr || !self->want_read) {
                              return;
                            }
                            // May free the context (and so detach this watch) on EOF or error.
                            redisAsyncHandleRead(self->context);
                            if (self->context != nullptr && self->want_read) {
                              self->arm_read();
                            }
                          });
  }

  void arm_write() {
    if (write_armed || context == nullptr) {
      return;
    }
    write_armed = true;
    descriptor.async_wait(net::posix::stream_descriptor::wait_write,
                          [self = shared_from_this()](error_code ec) {
                            self->write_armed = false;
                            if (ec || self->context == nullptr || !self->want_write) {
                              return;
                            }
                            redisAsyncHandleWrite(self->context);
                            if (self->context != nullptr && self->want_write) {
                              self->arm_write();
                            }
                          });
  }

  // hiredis frees the context right after this; stop touching it.
  void detach() {
    context = nullptr;
    want_read = want_write = false;
    error_code ignored;
    descriptor.cancel(ignored);
    descriptor.release();
  }

  static void add_read(void* data) {
    auto* w = static_cast<watch*>(data);
    w->want_read = true;
    w->arm_read();
  }
  static void del_read(void* data) { static_cast<watch*>(data)->want_read = false; }
  static void add_write(void* data) {
    auto* w = static_cast<watch*>(data);
    w->want_write = true;
    w->arm_write();
  }
  static void del_write(void* data) { static_cast<watch*>(data)->want_write = false; }
  static void cleanup(void* data) {
    auto* w = static_cast<watch*>(data);
    auto* owner = w->owner;
    w->detach();
    if (owner != nullptr) {
      owner->on_context_freed();
    }
  }
};

// One command waiting for its reply. Shared between the waiting coroutine and hiredis's
// callback, so whichever finishes last frees it; a command abandoned at its deadline still has
// its reply consumed (and dropped) when it arrives.
struct connection::pending {
  explicit pending(net::io_context& io) : timer(io) {}
  net::steady_timer timer;
  std::optional<result> outcome;
  connection* owner = nullptr;
};

connection::connection(net::io_context& io, options opts, client_metrics* metrics)
    : io_(io),
      options_(std::move(opts)),
      metrics_(metrics),
      reconnect_timer_(io),
      connect_timer_(io),
      resolver_(io) {}

connection::~connection() {
  close();
  *alive_ = false;
}

void connection::start() {
  closing_ = false;
  connect();
}

void connection::close() {
  closing_ = true;
  ready_ = false;
  reconnect_timer_.cancel();
  connect_timer_.cancel();
  resolver_.cancel();
  if (context_ != nullptr) {
    auto* context = context_;
    // Runs every waiting callback with no reply (connection_lost), then cleanup.
    redisAsyncFree(context);
  }
  context_ = nullptr;
}

void connection::connect() {
  if (closing_ || context_ != nullptr || resolving_) {
    return;
  }
  const auto& ep = options_.endpoint;
  if (!ep.socket_path.empty()) {
    open({});
    return;
  }
  error_code not_literal;
  net::ip::make_address(ep.host, not_literal);
  if (!not_literal) {
    open(ep.host);
    return;
  }
  // hiredis would resolve a host name with a blocking getaddrinfo on this worker's thread,
  // stalling every request on it while DNS is slow: resolve asynchronously first.
  resolving_ = true;
  resolver_.async_resolve(
      ep.host, std::to_string(ep.port),
      [this, alive = alive_](error_code ec, net::ip::tcp::resolver::results_type results) {
        if (!*alive) {
          return;
        }
        resolving_ = false;
        if (ec || results.empty()) {
          log::warn("redis host name does not resolve", {{"error", ec.message()}});
          schedule_reconnect();
          return;
        }
        open(results.begin()->endpoint().address().to_string());
      });
}

void connection::open(const std::string& address) {
  if (closing_ || context_ != nullptr) {
    return;
  }
  const auto& ep = options_.endpoint;
  redisAsyncContext* context = ep.socket_path.empty()
                                   ? redisAsyncConnect(address.c_str(), ep.port)
                                   : redisAsyncConnectUnix(ep.socket_path.c_str());
  if (context == nullptr) {
    schedule_reconnect();
    return;
  }
  if (context->err != 0) {
    log::debug("redis connect failed", {{"error", std::string_view(context->errstr)}});
    redisAsyncFree(context);
    schedule_reconnect();
    return;
  }
  context_ = context;
  watch_ = std::make_shared<watch>(io_, context->c.fd, this);
  watch_->context = context;
  context->ev.data = watch_.get();
  context->ev.addRead = &watch::add_read;
  context->ev.delRead = &watch::del_read;
  context->ev.addWrite = &watch::add_write;
  context->ev.delWrite = &watch::del_write;
  context->ev.cleanup = &watch::cleanup;
  // Setting the connect callback asks for a write event: that is how the connect completes.
  redisAsyncSetConnectCallback(context, &connection::on_connect);

  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([this, alive = alive_](error_code ec) {
    if (ec || !*alive || ready_ || context_ == nullptr) {
      return;
    }
    log::warn("redis connect timed out");
    redisAsyncFree(context_);  // cleanup schedules the next attempt
  });
}

void connection::on_connect(const redisAsyncContext* ac, int status) {
  auto* w = static_cast<watch*>(ac->ev.data);
  auto* self = w->owner;
  if (status != REDIS_OK) {
    // hiredis frees the context after this returns; cleanup() takes it from there.
    log::debug("redis connect refused", {{"error", std::string_view(ac->errstr)}});
    return;
  }
  // Not from inside hiredis's callback: the handshake may free the context, which hiredis is
  // still using until the callback returns.
  net::post(self->io_, [self, alive = self->alive_] {
    if (*alive) {
      net::co_spawn(self->io_, self->handshake(), net::detached);
    }
  });
}

awaitable<void> connection::handshake() {
  auto alive = alive_;
  if (!options_.endpoint.password.empty()) {
    std::string_view auth[] = {"AUTH", options_.endpoint.password};
    auto r = co_await send(auth, options_.connect_timeout, true);
    if (!*alive) {
      co_return;
    }
    if (!r || r->is_error()) {
      log::error("redis AUTH failed; check the password in --redis-url");
      if (context_ != nullptr) {
        redisAsyncFree(context_);
      }
      co_return;
    }
  }
  std::string db = std::to_string(options_.endpoint.db);
  std::string_view select[] = {"SELECT", db};
  auto r = co_await send(select, options_.connect_timeout, true);
  if (!*alive) {
    co_return;
  }
  if (!r || !expect_status(*r, "OK")) {
    log::error("redis SELECT failed", {{"db", options_.endpoint.db}});
    if (context_ != nullptr) {
      redisAsyncFree(context_);
    }
    co_return;
  }
  connect_timer_.cancel();
  ++generation_;
  ready_ = true;
  failed_attempts_ = 0;
  timeouts_in_a_row_ = 0;
  if (ever_connected_ && metrics_ != nullptr) {
    metrics_->reconnects.inc();
  }
  ever_connected_ = true;
  log::info("redis connected");
}

void connection::on_context_freed() {
  const bool was_ready = ready_;
  ready_ = false;
  context_ = nullptr;
  watch_.reset();
  connect_timer_.cancel();
  if (was_ready && !closing_) {
    log::warn("redis connection lost; reconnecting");
  }
  if (!closing_) {
    // Not from inside hiredis: it is still freeing the old context.
    net::post(io_, [this, alive = alive_] {
      if (*alive) {
        schedule_reconnect();
      }
    });
  }
}

void connection::schedule_reconnect() {
  if (closing_) {
    return;
  }
  // Jittered exponential backoff: 50 ms, 100 ms, … up to max_backoff.
  thread_local std::minstd_rand jitter{std::random_device{}()};
  auto base = std::chrono::milliseconds(50) * (1 << std::min(failed_attempts_, 6));
  base = std::min(base, options_.max_backoff);
  auto delay = base / 2 + std::chrono::milliseconds(jitter() % (base.count() / 2 + 1));
  ++failed_attempts_;
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this, alive = alive_](error_code ec) {
    if (!ec && *alive) {
      connect();
    }
  });
}

void connection::on_reply(redisAsyncContext* /*ac*/, void* raw_reply, void* privdata) {
  std::unique_ptr<std::shared_ptr<pending>> holder(
      static_cast<std::shared_ptr<pending>*>(privdata));
  auto& op = **holder;
  if (op.owner != nullptr) {
    --op.owner->pending_;
  }
  if (op.outcome) {
    return;  // already timed out; the late reply is dropped
  }
  if (raw_reply == nullptr) {
    op.outcome = result(make_error_code(errc::connection_lost));
  } else if (auto parsed = from_hiredis(static_cast<redisReply*>(raw_reply))) {
    op.outcome = result(std::move(*parsed));
  } else {
    op.outcome = result(make_error_code(errc::unexpected_reply));
  }
  op.timer.cancel();
}

awaitable<result> connection::command(std::span<const std::string_view> args) {
  return send(args, options_.command_timeout, false);
}

awaitable<result> connection::command(std::span<const std::string_view> args,
                                      std::chrono::milliseconds timeout) {
  return send(args, timeout, false);
}

awaitable<result> connection::send(std::span<const std::string_view> args,
                                   std::chrono::milliseconds timeout, bool during_handshake) {
  const bool usable = context_ != nullptr && (ready_ || during_handshake);
  if (!usable || pending_ >= options_.max_pending) {
    auto code = usable ? errc::overloaded : errc::not_connected;
    if (metrics_ != nullptr) {
      metrics_->errors.with({code == errc::overloaded ? "overloaded" : "connection"}).inc();
    }
    co_return result(make_error_code(code));
  }

  // hiredis copies the command into its output buffer before this call returns.
  thread_local std::string formatted;
  formatted.clear();
  append_command(formatted, args);
  auto op = std::make_shared<pending>(io_);
  op->owner = this;
  auto* holder = new std::shared_ptr<pending>(op);
  if (redisAsyncFormattedCommand(context_, &connection::on_reply, holder, formatted.data(),
                                 formatted.size()) != REDIS_OK) {
    delete holder;
    co_return result(make_error_code(errc::not_connected));
  }
  ++pending_;

  const auto started = std::chrono::steady_clock::now();
  op->timer.expires_after(timeout);
  co_await op->timer.async_wait(net::as_tuple(net::use_awaitable));
  if (!op->outcome) {
    op->outcome = result(make_error_code(errc::timeout));
    // A Redis that stops answering without closing the connection (hung, or a dead peer
    // behind a silent network) is dropped after a few timeouts in a row: the reconnect path
    // then fails fast and reports Redis down, instead of every request waiting out its deadline.
    if (++timeouts_in_a_row_ >= options_.timeouts_before_reconnect && ready_ &&
        context_ != nullptr) {
      log::warn("redis does not answer; reconnecting");
      redisAsyncFree(context_);
    }
  } else if (*op->outcome) {
    timeouts_in_a_row_ = 0;
  }
  if (metrics_ != nullptr) {
    metrics_->commands.inc();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    metrics_->latency.observe(elapsed.count());
    if (op->outcome->has_error()) {
      auto ec = op->outcome->error();
      metrics_->errors
          .with({ec == errc::timeout            ? "timeout"
                 : ec == errc::unexpected_reply ? "reply"
                                                : "connection"})
          .inc();
    } else if (op->outcome->value().is_error()) {
      metrics_->errors.with({"server"}).inc();
    }
  }
  co_return std::move(*op->outcome);
}

awaitable<result> connection::run(const script& s, std::span<const std::string_view> keys,
                                  std::span<const std::string_view> args) {
  std::string key_count = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(s.sha1());
  argv.push_back(key_count);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = co_await command(argv);
  if (r && r->is_error() && r->text.starts_with("NOSCRIPT")) {
    // Redis restarted or its script cache was flushed: EVAL also caches it again.
    argv[0] = "EVAL";
    argv[1] = s.body();
    r = co_await command(argv);
  }
  co_return r;
}

awaitable<boost::system::result<bool>> connection::run_for_flag(
    const script& s, std::span<const std::string_view> keys,
    std::span<const std::string_view> args) {
  using flag_result = boost::system::result<bool>;
  auto reply = co_await run(s, keys, args);
  if (!reply) {
    co_return flag_result(boost::system::in_place_error, reply.error());
  }
  auto flag = as_integer(*reply);
  if (!flag) {
    co_return flag_result(boost::system::in_place_error, flag.error());
  }
  co_return *flag == 1;
}

}  // namespace supportd::redis

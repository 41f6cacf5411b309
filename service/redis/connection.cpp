#include "redis/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <vector>

#include "log/logger.hpp"
#include "redis/command_format.hpp"
#include "redis/errc.hpp"
#include "redis/link.hpp"
#include "redis/sentinel.hpp"

namespace supportd::redis {

// One command waiting for its reply, shared by the waiting coroutine and the reader: a command
// abandoned at its deadline keeps its place, so the reply that still comes is matched to it and
// dropped.
struct connection::pending {
  explicit pending(net::io_context& io) : timer(io) {}
  net::steady_timer timer;
  std::optional<result> outcome;
};

connection::connection(net::io_context& io, options opts, client_metrics* metrics)
    : io_(io), options_(std::move(opts)), metrics_(metrics), backoff_timer_(io) {
  if (!options_.sentinel.sentinels.empty()) {
    sentinel_ = std::make_shared<sentinel_client>(io_, options_.sentinel, options_.tls,
                                                  options_.connect_timeout);
  }
}

connection::~connection() {
  close();
  *alive_ = false;
}

void connection::start() {
  if (!closing_) {
    return;
  }
  closing_ = false;
  net::co_spawn(io_, keep_connected(alive_), net::detached);
  if (sentinel_) {
    net::co_spawn(io_,
                  sentinel_->watch_switches(alive_,
                                            [this](const config::host_port& primary) {
                                              // Go there now rather than at the next error.
                                              announced_primary_ = primary;
                                              drop_session();
                                              backoff_timer_.cancel();
                                            }),
                  net::detached);
  }
}

void connection::close() {
  closing_ = true;
  backoff_timer_.cancel();
  if (sentinel_) {
    sentinel_->stop();
  }
  end_session();
}

awaitable<void> connection::keep_connected(std::shared_ptr<bool> alive) {
  while (*alive && !closing_) {
    auto l = co_await open_session();
    if (!*alive || closing_) {
      if (l) {
        l->close();
      }
      co_return;
    }
    if (l) {
      link_ = l;
      ++generation_;
      ready_ = true;
      failed_attempts_ = 0;
      timeouts_in_a_row_ = 0;
      last_failure_.clear();
      if (ever_connected_ && metrics_ != nullptr) {
        metrics_->reconnects.inc();
      }
      ever_connected_ = true;
      log::info("redis connected");
      co_await read_replies(l, alive);
      if (!*alive) {
        co_return;
      }
      if (!closing_) {
        log::warn("redis connection lost; reconnecting");
      }
      end_session();
    }
    co_await back_off();
  }
}

awaitable<std::shared_ptr<link>> connection::open_session() {
  const auto& ep = options_.endpoint;
  link_target target{
      .host = ep.host, .port = ep.port, .socket_path = ep.socket_path, .tls = nullptr};
  if (ep.tls) {
    target.tls = options_.tls;
  }
  if (sentinel_) {
    if (announced_primary_) {
      target.host = announced_primary_->host;
      target.port = announced_primary_->port;
      announced_primary_.reset();
    } else {
      auto primary = co_await sentinel_->locate_primary();
      if (!primary) {
        report_failure("no sentinel names the primary");
        co_return nullptr;
      }
      target.host = primary->host;
      target.port = primary->port;
    }
  }
  const auto timeout = options_.connect_timeout;
  auto l = std::make_shared<link>(io_);
  if (auto ec = co_await l->connect(target, timeout)) {
    report_failure("redis connect failed: " + ec.message());
    co_return nullptr;
  }
  if (!ep.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!ep.username.empty()) {
      auth.push_back(ep.username);
    }
    auth.push_back(ep.password);
    auto r = co_await l->exchange(auth, timeout);
    if (!r || r->is_error()) {
      // Never the password; Redis's own message names the cause (WRONGPASS, NOPERM).
      report_failure(!r ? "redis AUTH got no answer"
                        : "redis refused AUTH (" + r->text.substr(0, r->text.find(' ')) +
                              "); check --redis-username and the password");
      l->close();
      co_return nullptr;
    }
  }
  std::string db = std::to_string(ep.db);
  std::string_view select[] = {"SELECT", db};
  if (auto r = co_await l->exchange(select, timeout); !r || !expect_status(*r, "OK")) {
    report_failure("redis SELECT " + db + " failed");
    l->close();
    co_return nullptr;
  }
  if (sentinel_) {
    // A sentinel's answer can be stale for a moment around a failover: only a primary is used.
    std::string_view role[] = {"ROLE"};
    auto r = co_await l->exchange(role, timeout);
    if (!r || r->type != reply::kind::array || r->elements.empty() ||
        r->elements[0].text != "master") {
      report_failure("the server the sentinels named is not the primary (yet)");
      l->close();
      co_return nullptr;
    }
  }
  co_return l;
}

void connection::report_failure(const std::string& what) {
  if (what != last_failure_) {
    log::error(what);
    last_failure_ = what;
  }
}

awaitable<void> connection::back_off() {
  // Jittered exponential backoff: 50 ms, 100 ms, … up to max_backoff.
  thread_local std::minstd_rand jitter{std::random_device{}()};
  auto base = std::chrono::milliseconds(50) * (1 << std::min(failed_attempts_, 6));
  base = std::min(base, options_.max_backoff);
  auto delay = base / 2 + std::chrono::milliseconds(jitter() % (base.count() / 2 + 1));
  ++failed_attempts_;
  if (announced_primary_) {
    delay = std::chrono::milliseconds(0);
  }
  backoff_timer_.expires_after(delay);
  co_await backoff_timer_.async_wait(net::as_tuple(net::use_awaitable));
}

awaitable<void> connection::read_replies(std::shared_ptr<link> l, std::shared_ptr<bool> alive) {
  for (;;) {
    auto r = co_await l->read_reply();
    if (!*alive || l != link_) {
      co_return;
    }
    if (!r) {
      if (r.error() == errc::unexpected_reply) {
        log::warn("redis sent bytes that are not RESP; reconnecting");
      }
      co_return;
    }
    if (waiting_.empty()) {
      log::warn("redis sent a reply nobody asked for; reconnecting");
      co_return;
    }
    auto op = std::move(waiting_.front());
    waiting_.pop_front();
    bool demoted = false;
    if (!op->outcome) {
      if (r->is_error() && r->text.starts_with("READONLY")) {
        // The server was a primary and is a replica now (a failover): nothing is written to it.
        op->outcome = result(make_error_code(errc::connection_lost));
        demoted = true;
      } else if (r->is_error() && r->text.starts_with("LOADING")) {
        // Redis is reading its data back after a restart: answer "not available now".
        op->outcome = result(make_error_code(errc::not_connected));
      } else {
        op->outcome = result(std::move(*r));
      }
      op->timer.cancel();
    }
    if (demoted) {
      log::warn("redis answered READONLY: finding the primary again");
      co_return;
    }
  }
}

void connection::drop_session() {
  // New commands fail fast from now on; the reader ends the session when it sees the close.
  ready_ = false;
  if (link_) {
    link_->close();
  }
}

void connection::end_session() {
  ready_ = false;
  if (link_) {
    link_->close();
    link_.reset();
  }
  for (auto& op : waiting_) {
    if (!op->outcome) {
      op->outcome = result(make_error_code(errc::connection_lost));
      op->timer.cancel();
    }
  }
  waiting_.clear();
  unwritten_.clear();
  writing_ = false;
}

void connection::flush() {
  if (writing_ || unwritten_.empty() || !link_) {
    return;
  }
  writing_ = true;
  // Runs on the next turn of the loop, so the commands of this turn go out in one write.
  net::co_spawn(io_, write_queued(link_, alive_), net::detached);
}

awaitable<void> connection::write_queued(std::shared_ptr<link> l, std::shared_ptr<bool> alive) {
  std::string batch;
  for (;;) {
    if (!*alive || l != link_) {
      co_return;  // a later session has its own writer
    }
    if (unwritten_.empty()) {
      writing_ = false;
      co_return;
    }
    batch.swap(unwritten_);
    auto ec = co_await l->write(batch);
    batch.clear();
    if (ec) {
      // The reader sees the stream fail too and ends the session.
      if (*alive && l == link_) {
        l->close();
      }
      co_return;
    }
  }
}

awaitable<result> connection::command(std::span<const std::string_view> args) {
  return send(args, options_.command_timeout);
}

awaitable<result> connection::command(std::span<const std::string_view> args,
                                      std::chrono::milliseconds timeout) {
  return send(args, timeout);
}

awaitable<result> connection::send(std::span<const std::string_view> args,
                                   std::chrono::milliseconds timeout) {
  const bool usable = ready_ && link_ != nullptr;
  if (!usable || waiting_.size() >= options_.max_pending) {
    auto code = usable ? errc::overloaded : errc::not_connected;
    if (metrics_ != nullptr) {
      metrics_->errors.with({code == errc::overloaded ? "overloaded" : "connection"}).inc();
    }
    co_return result(make_error_code(code));
  }

  append_command(unwritten_, args);
  auto op = std::make_shared<pending>(io_);
  waiting_.push_back(op);
  flush();

  auto alive = alive_;
  const auto started = std::chrono::steady_clock::now();
  op->timer.expires_after(timeout);
  co_await op->timer.async_wait(net::as_tuple(net::use_awaitable));
  if (!*alive) {
    co_return result(make_error_code(errc::connection_lost));
  }
  if (!op->outcome) {
    op->outcome = result(make_error_code(errc::timeout));
    // A Redis that stops answering without closing the connection (hung, or a dead peer
    // behind a silent network) is dropped after a few timeouts in a row: the reconnect path
    // then fails fast and reports Redis down, instead of every request waiting out its deadline.
    if (++timeouts_in_a_row_ >= options_.timeouts_before_reconnect && ready_ && link_) {
      log::warn("redis does not answer; reconnecting");
      drop_session();
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

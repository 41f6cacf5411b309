#include "redis/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "core/jitter.hpp"
#include "core/use_tuple.hpp"
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
  // This run's token: close() (and so the destructor) clears it, and every coroutine of the run
  // looks at it after each wait before it touches the connection again.
  run_ = std::make_shared<bool>(true);
  net::co_spawn(io_, keep_connected(run_), net::detached);
  if (sentinel_) {
    net::co_spawn(io_,
                  sentinel_->watch_switches(run_,
                                            [this](const common::host_port& primary) {
                                              // The session there already (a READONLY led us
                                              // to it first) stays.
                                              if (link_ && primary == session_address_) {
                                                return;
                                              }
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
  *run_ = false;
  backoff_timer_.cancel();
  if (sentinel_) {
    sentinel_->stop();
  }
  if (connecting_) {
    connecting_->close();
  }
  end_session();
}

awaitable<void> connection::keep_connected(std::shared_ptr<bool> run) {
  while (*run) {
    try {
      auto l = co_await open_session(run);
      if (!*run) {
        if (l) {
          l->close();
        }
        co_return;
      }
      if (l && announced_primary_) {
        // The sentinels announced a new primary while this session was being opened.
        l->close();
        continue;
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
        co_await read_replies(l, run);
        if (!*run) {
          co_return;
        }
        log::warn("redis connection lost; reconnecting");
        end_session();
      }
    } catch (const std::exception& e) {
      // Nothing here is expected to throw (memory aside); a session that does ends, the next
      // one starts.
      if (!*run) {
        co_return;
      }
      log::error("redis session failed", {{"error", std::string_view(e.what())}});
      end_session();
    }
    co_await back_off();
  }
}

awaitable<std::shared_ptr<link>> connection::open_session(std::shared_ptr<bool> run) {
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
      if (!*run) {
        co_return nullptr;
      }
      if (!primary) {
        report_failure("no sentinel names the primary");
        co_return nullptr;
      }
      target.host = primary->host;
      target.port = primary->port;
    }
  }
  session_address_ = {target.host, static_cast<std::uint16_t>(target.port)};
  const auto timeout = options_.connect_timeout;
  auto l = std::make_shared<link>(io_);
  connecting_ = l;  // close() closes it too
  auto ec = co_await l->connect(target, timeout);
  if (!*run) {
    co_return nullptr;
  }
  connecting_.reset();
  if (ec) {
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
    if (!*run) {
      co_return nullptr;
    }
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
  auto selected = co_await l->exchange(select, timeout);
  if (!*run) {
    co_return nullptr;
  }
  if (!selected || !expect_status(*selected, "OK")) {
    report_failure("redis SELECT " + db + " failed");
    l->close();
    co_return nullptr;
  }
  if (sentinel_) {
    // A sentinel's answer can be stale for a moment around a failover: only a primary is used.
    std::string_view role[] = {"ROLE"};
    auto r = co_await l->exchange(role, timeout);
    if (!*run) {
      co_return nullptr;
    }
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
  auto base = std::chrono::milliseconds(50) * (1 << std::min(failed_attempts_, 6));
  base = std::min(base, options_.max_backoff);
  auto delay = core::jittered(base, 0.5, 1.0);
  ++failed_attempts_;
  if (announced_primary_) {
    delay = std::chrono::milliseconds(0);
  }
  backoff_timer_.expires_after(delay);
  co_await backoff_timer_.async_wait(use_tuple);
}

awaitable<void> connection::read_replies(std::shared_ptr<link> l, std::shared_ptr<bool> run) {
  for (;;) {
    // Every reply already read is handed out before waiting again, so that the commands their
    // waiters send next go out together.
    auto r = l->next_reply();
    if (r && !*r) {
      auto ec = co_await l->receive();
      if (!*run || l != link_ || ec) {
        co_return;
      }
      continue;
    }
    if (!r) {
      log::warn("redis sent bytes that are not RESP; reconnecting");
      co_return;
    }
    if (waiting_.empty()) {
      log::warn("redis sent a reply nobody asked for; reconnecting");
      co_return;
    }
    if (!take_reply(std::move(**r))) {
      log::warn("redis answered READONLY: finding the primary again");
      co_return;
    }
  }
}

bool connection::take_reply(reply r) {
  auto op = std::move(waiting_.front());
  waiting_.pop_front();
  // The server was a primary and is a replica now (a failover): nothing more goes to it, even
  // when this command's waiter already gave up.
  const bool demoted = r.is_error() && r.text.starts_with("READONLY");
  if (op->outcome) {
    return !demoted;  // its waiter gave up at the deadline: the late reply is dropped
  }
  if (demoted) {
    op->outcome = result(make_error_code(errc::connection_lost));
  } else if (r.is_error() && r.text.starts_with("LOADING")) {
    // Redis is reading its data back after a restart: answer "not available now".
    op->outcome = result(make_error_code(errc::not_connected));
  } else {
    op->outcome = result(std::move(r));
  }
  op->timer.cancel();
  return !demoted;
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
  net::co_spawn(io_, write_queued(link_, alive_), net::detached);
}

awaitable<void> connection::write_queued(std::shared_ptr<link> l, std::shared_ptr<bool> alive) {
  // co_spawn starts this at once, inside the first sender's send(): yield a turn so that the
  // commands of the waiters a read just woke are in the first write too.
  co_await net::post(net::use_awaitable);
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
  co_await op->timer.async_wait(use_tuple);
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

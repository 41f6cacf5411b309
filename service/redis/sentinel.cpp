#include "redis/sentinel.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <string>

#include "core/pause.hpp"
#include "log/logger.hpp"
#include "redis/errc.hpp"

namespace supportd::redis {

namespace {

std::optional<std::uint16_t> port_of(std::string_view text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

boost::system::result<common::host_port> parse_primary_address(const reply& r) {
  if (r.is_error()) {
    return make_error_code(errc::server_error);
  }
  if (r.type != reply::kind::array || r.elements.size() != 2 ||
      r.elements[0].type != reply::kind::string || r.elements[1].type != reply::kind::string ||
      r.elements[0].text.empty()) {
    return make_error_code(errc::unexpected_reply);
  }
  auto port = port_of(r.elements[1].text);
  if (!port) {
    return make_error_code(errc::unexpected_reply);
  }
  return common::host_port{r.elements[0].text, *port};
}

std::optional<common::host_port> parse_switch_master(std::string_view message,
                                                     std::string_view master_name) {
  std::string_view fields[5];
  for (auto& field : fields) {
    auto space = message.find(' ');
    field = message.substr(0, space);
    message = space == std::string_view::npos ? std::string_view{} : message.substr(space + 1);
  }
  if (!message.empty() || fields[0] != master_name || fields[3].empty()) {
    return std::nullopt;
  }
  auto port = port_of(fields[4]);
  if (!port) {
    return std::nullopt;
  }
  return common::host_port{std::string(fields[3]), *port};
}

sentinel_client::sentinel_client(net::io_context& io, redis::redis_sentinel_settings settings,
                                 std::shared_ptr<net::ssl::context> tls,
                                 std::chrono::milliseconds timeout)
    : io_(io), settings_(std::move(settings)), tls_(std::move(tls)), timeout_(timeout) {}

awaitable<boost::system::result<std::shared_ptr<link>>> sentinel_client::open(
    const common::host_port& sentinel) {
  auto self = shared_from_this();
  auto l = std::make_shared<link>(io_);
  // Named, not a temporary in the co_await: g++ 12 frees such a temporary twice.
  link_target target{.host = sentinel.host, .port = sentinel.port, .tls = tls_};
  if (auto ec = co_await l->connect(target, timeout_)) {
    co_return ec;
  }
  if (!settings_.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!settings_.username.empty()) {
      auth.push_back(settings_.username);
    }
    auth.push_back(settings_.password);
    auto r = co_await l->exchange(auth, timeout_);
    if (!r || r->is_error()) {
      log::error("sentinel refused AUTH; check --redis-sentinel-username and its password file",
                 {{"sentinel", sentinel.host + ":" + std::to_string(sentinel.port)}});
      l->close();
      co_return make_error_code(errc::server_error);
    }
  }
  co_return l;
}

awaitable<boost::system::result<common::host_port>> sentinel_client::locate_primary() {
  auto self = shared_from_this();
  const auto& sentinels = settings_.sentinels;
  for (std::size_t i = 0; i < sentinels.size(); ++i) {
    auto index = (first_ + i) % sentinels.size();
    auto l = co_await open(sentinels[index]);
    if (!l) {
      continue;
    }
    std::string_view ask[] = {"SENTINEL", "get-master-addr-by-name", settings_.master_name};
    auto r = co_await (*l)->exchange(ask, timeout_);
    (*l)->close();
    if (!r) {
      continue;
    }
    auto address = parse_primary_address(*r);
    if (!address) {
      log::warn("sentinel does not name the primary; check --redis-master-name",
                {{"sentinel", sentinels[index].host}});
      continue;
    }
    first_ = index;
    co_return *address;
  }
  co_return make_error_code(errc::not_connected);
}

awaitable<void> sentinel_client::watch_switches(
    std::shared_ptr<bool> alive, std::function<void(const common::host_port&)> on_switch) {
  auto self = shared_from_this();
  std::size_t next = first_;
  while (*alive) {
    const auto& sentinel = settings_.sentinels[next++ % settings_.sentinels.size()];
    auto l = co_await open(sentinel);
    if (!*alive) {
      co_return;
    }
    if (l) {
      watching_ = *l;
      std::string_view subscribe[] = {"SUBSCRIBE", "+switch-master"};
      auto r = co_await (*l)->exchange(subscribe, timeout_);
      // Then every reply is a message: ["message", channel, text]. A sentinel that goes away
      // ends the read; the next one is asked.
      while (r && *alive) {
        r = co_await (*l)->read_reply();
        if (!*alive || !r) {
          break;
        }
        if (r->type == reply::kind::array && r->elements.size() == 3 &&
            r->elements[0].text == "message") {
          if (auto address = parse_switch_master(r->elements[2].text, settings_.master_name)) {
            log::info("sentinel announced a new primary", {{"host", address->host}});
            on_switch(*address);
          }
        }
      }
      if (!*alive) {
        co_return;
      }
      (*l)->close();
    }
    co_await pause(std::chrono::milliseconds(500));
  }
}

void sentinel_client::stop() {
  if (watching_) {
    watching_->close();
  }
}

}  // namespace supportd::redis

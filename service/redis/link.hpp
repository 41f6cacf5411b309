// One byte stream to a Redis server or sentinel — TCP, a Unix socket, or TLS over TCP — and the
// parser of what comes back. Owned by Asio here, not by hiredis, so that TLS and host names go
// through the same code as every other outbound connection.
//
// A link is used by one coroutine for reading and at most one for writing at a time. Keep it in a
// shared_ptr while an operation is outstanding: closing cancels, and the handlers still need it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/net.hpp"
#include "redis/redis_settings.hpp"
#include "redis/reply.hpp"
#include "redis/reply_reader.hpp"

namespace supportd::redis {

// Where to connect: a host and port, or a Unix socket; TLS when `tls` is set.
struct link_target {
  std::string host;
  int port = 0;
  std::string socket_path{};
  std::shared_ptr<net::ssl::context> tls{};
};

// A client TLS context for Redis: TLS 1.2 or later, the peer verified against `files.ca_file`
// (or the system's trust store), and a client certificate when given. Throws with a readable
// message when a file cannot be used.
std::shared_ptr<net::ssl::context> make_redis_tls_context(const redis::redis_tls_files& files);

class link : public std::enable_shared_from_this<link> {
 public:
  explicit link(net::io_context& io);
  ~link();

  // Resolves, connects and, for TLS, handshakes (SNI and host name verification against
  // `target.host`), all within `timeout`.
  awaitable<error_code> connect(const link_target& target, std::chrono::milliseconds timeout);
  // Closes the stream; outstanding reads and writes complete with an error.
  void close();
  bool is_open() const;

  // Writes all of `bytes`.
  awaitable<error_code> write(std::string_view bytes);
  // Waits for the next reply (reading as much as arrives).
  awaitable<boost::system::result<reply>> read_reply();
  // The same in two steps, for a reader that takes every reply already here before it waits:
  // a reply already read, or nullopt; then waiting for more bytes.
  boost::system::result<std::optional<reply>> next_reply() { return reader_.next(); }
  awaitable<error_code> receive();
  // One command and its reply, for conversations without pipelining (a handshake, a sentinel),
  // within `timeout`; the link is closed when it runs out.
  awaitable<boost::system::result<reply>> exchange(std::span<const std::string_view> args,
                                                   std::chrono::milliseconds timeout);

 private:
  struct stream;
  // Closes the link when `deadline` (set to `timeout`) expires before it is cancelled; the
  // returned flag then reads true.
  std::shared_ptr<bool> close_at(net::steady_timer& deadline, std::chrono::milliseconds timeout);
  net::io_context& io_;
  std::unique_ptr<stream> stream_;
  reply_reader reader_;
  std::string read_buffer_;
};

}  // namespace supportd::redis

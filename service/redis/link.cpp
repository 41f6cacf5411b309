#include "redis/link.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <stdexcept>

#include "common/url.hpp"
#include "core/tls_socket.hpp"
#include "core/use_tuple.hpp"
#include "redis/command_format.hpp"
#include "redis/errc.hpp"

namespace supportd::redis {

namespace {

constexpr std::size_t read_chunk = 16 * 1024;

}  // namespace

std::shared_ptr<net::ssl::context> make_redis_tls_context(const redis::redis_tls_files& files) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_verify_mode(net::ssl::verify_peer);
  error_code ec;
  if (files.ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(files.ca_file, ec);
  }
  if (ec) {
    throw std::runtime_error("--redis-ca-file: cannot load " + files.ca_file);
  }
  if (!files.cert_file.empty()) {
    context->use_certificate_chain_file(files.cert_file, ec);
    if (ec) {
      throw std::runtime_error("--redis-cert-file: cannot load " + files.cert_file);
    }
    context->use_private_key_file(files.key_file, net::ssl::context::pem, ec);
    if (ec) {
      throw std::runtime_error("--redis-key-file: cannot load " + files.key_file);
    }
  }
  return context;
}

// Exactly one of the sockets is in use; for TLS the TCP socket, once connected, moves into `tls`
// (OpenSSL reads and writes its descriptor itself: no engine buffers or copies per command).
struct link::stream {
  explicit stream(net::io_context& io) : resolver(io), tcp(io), unix_socket(io) {}

  net::ip::tcp::resolver resolver;  // cancelled by close(), so a slow DNS meets the deadline too
  net::ip::tcp::socket tcp;
  net::local::stream_protocol::socket unix_socket;
  std::unique_ptr<core::tls_socket> tls;
  bool is_unix = false;

  template <class Buffer>
  awaitable<std::tuple<error_code, std::size_t>> read_some(Buffer buffer) {
    if (tls) {
      co_return co_await tls->async_read_some(buffer, use_tuple);
    }
    if (is_unix) {
      co_return co_await unix_socket.async_read_some(buffer, use_tuple);
    }
    co_return co_await tcp.async_read_some(buffer, use_tuple);
  }

  // What TLS has ready without waiting: the rest of a record already read, the records behind
  // it. OpenSSL hands out one record per read and each read completes on a later turn of the
  // loop; taken one at a time, the commands their replies release would go out one per TLS
  // record and system call instead of together.
  std::size_t read_ready(net::mutable_buffer buffer) { return tls ? tls->read_held(buffer) : 0; }

  template <class Buffer>
  awaitable<std::tuple<error_code, std::size_t>> write(Buffer buffer) {
    if (tls) {
      co_return co_await net::async_write(*tls, buffer, use_tuple);
    }
    if (is_unix) {
      co_return co_await net::async_write(unix_socket, buffer, use_tuple);
    }
    co_return co_await net::async_write(tcp, buffer, use_tuple);
  }
};

link::link(net::io_context& io) : io_(io), stream_(std::make_unique<stream>(io)) {}

link::~link() = default;

bool link::is_open() const {
  return stream_->tcp.is_open() || stream_->unix_socket.is_open() ||
         (stream_->tls && stream_->tls->next_layer().is_open());
}

void link::close() {
  stream_->resolver.cancel();
  error_code ignored;
  stream_->tcp.close(ignored);
  stream_->unix_socket.close(ignored);
  if (stream_->tls) {
    stream_->tls->next_layer().close(ignored);
  }
}

std::shared_ptr<bool> link::close_at(net::steady_timer& deadline,
                                     std::chrono::milliseconds timeout) {
  // Whatever step is under way when the link closes fails; the flag says it was the deadline.
  auto expired = std::make_shared<bool>(false);
  deadline.expires_after(timeout);
  deadline.async_wait([self = shared_from_this(), expired](error_code ec) {
    if (!ec) {
      *expired = true;
      self->close();
    }
  });
  return expired;
}

awaitable<error_code> link::connect(const link_target& target, std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  net::steady_timer deadline(io_);
  auto expired = close_at(deadline, timeout);
  auto finish = [&](error_code ec) {
    deadline.cancel();
    if (*expired) {
      return error_code(make_error_code(errc::timeout));
    }
    if (ec) {
      close();
    }
    return ec;
  };

  if (!target.socket_path.empty()) {
    stream_->is_unix = true;
    auto [ec] = co_await stream_->unix_socket.async_connect(
        net::local::stream_protocol::endpoint(target.socket_path), use_tuple);
    co_return finish(ec);
  }
  if (target.tls && target.host.size() > common::max_host_name) {
    co_return finish(net::error::host_not_found);  // longer than DNS allows and SNI carries
  }
  const auto port = std::to_string(target.port);
  auto [resolve_ec, endpoints] =
      co_await stream_->resolver.async_resolve(target.host, port, use_tuple);
  if (resolve_ec || *expired) {
    co_return finish(resolve_ec);
  }
  auto [connect_ec, endpoint] = co_await net::async_connect(stream_->tcp, endpoints, use_tuple);
  if (connect_ec || *expired) {
    co_return finish(connect_ec);
  }
  stream_->tcp.set_option(net::ip::tcp::no_delay(true), connect_ec);
  if (target.tls) {
    // SNI names the host (an address is not sent, RFC 6066 section 3) and the certificate must
    // be for it (RFC 6125).
    stream_->tls = std::make_unique<core::tls_socket>(std::move(stream_->tcp),
                                                      target.tls->native_handle(), target.host);
    auto [handshake_ec] = co_await stream_->tls->async_handshake(use_tuple);
    co_return finish(handshake_ec);
  }
  co_return finish({});
}

awaitable<error_code> link::write(std::string_view bytes) {
  auto self = shared_from_this();
  auto [ec, written] = co_await stream_->write(net::buffer(bytes.data(), bytes.size()));
  co_return ec;
}

awaitable<boost::system::result<reply>> link::read_reply() {
  auto self = shared_from_this();
  for (;;) {
    auto next = reader_.next();
    if (!next) {
      co_return next.error();
    }
    if (*next) {
      co_return std::move(**next);
    }
    if (auto ec = co_await receive()) {
      co_return ec;
    }
  }
}

awaitable<error_code> link::receive() {
  auto self = shared_from_this();
  read_buffer_.resize(read_chunk);
  auto [ec, n] = co_await stream_->read_some(net::buffer(read_buffer_));
  if (ec) {
    co_return make_error_code(errc::connection_lost);
  }
  reader_.feed(std::string_view(read_buffer_.data(), n));
  // At most 256 KiB more at once: a server that never pauses does not keep the thread.
  for (int chunk = 0; chunk < 16; ++chunk) {
    std::size_t more = stream_->read_ready(net::buffer(read_buffer_));
    if (more == 0) {
      break;
    }
    reader_.feed(std::string_view(read_buffer_.data(), more));
  }
  co_return error_code{};
}

awaitable<boost::system::result<reply>> link::exchange(std::span<const std::string_view> args,
                                                       std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  net::steady_timer deadline(io_);
  auto expired = close_at(deadline, timeout);
  std::string command;
  append_command(command, args);
  boost::system::result<reply> outcome = make_error_code(errc::connection_lost);
  if (auto ec = co_await write(command); !ec) {
    outcome = co_await read_reply();
  }
  deadline.cancel();
  if (*expired) {
    co_return make_error_code(errc::timeout);
  }
  co_return outcome;
}

}  // namespace supportd::redis

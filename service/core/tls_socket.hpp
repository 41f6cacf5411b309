// A TLS connection, either side, in which OpenSSL reads and writes the socket itself, as nginx
// does; Asio only says when the socket is ready. Every TLS connection supportd makes or takes is
// one: readers' HTTPS, calls to the provider and the notify URL, the Redis link. asio::ssl::stream
// keeps two 17 KiB buffers and a 17 KiB BIO pair for the life of each connection, 74 KiB per idle
// keep-alive connection measured here; this one keeps only the SSL object, since OpenSSL gives its
// record buffers back whenever they are empty (SSL_MODE_RELEASE_BUFFERS, set on the context).
//
// Models Asio's AsyncReadStream and AsyncWriteStream, so Beast reads and writes through it.
// Like any Asio I/O object: one read and one write may be outstanding at a time, from the
// socket's executor only. The socket may be closed under a pending operation (the worker's
// connection sweep does that, an outbound call's deadline, a Redis link's close); every OpenSSL
// call checks first that it is still open, since its descriptor number may already belong to
// another connection.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>

#include "core/net.hpp"

namespace supportd::core {

class tls_socket {
 public:
  using executor_type = net::ip::tcp::socket::executor_type;

  // The server's side: takes over an accepted connection; `context` gives the certificate and
  // the TLS settings.
  tls_socket(net::ip::tcp::socket socket, SSL_CTX* context);
  // The client's side: takes over a connection opened to `peer`, a host name (at most 253
  // characters) or an IP address. The handshake names the host to the server (SNI; names only,
  // RFC 6066 section 3) and fails unless the server's certificate is for `peer` (RFC 6125),
  // besides what `context` checks: a chain to a CA it trusts, when it verifies peers.
  tls_socket(net::ip::tcp::socket socket, SSL_CTX* context, const std::string& peer);
  ~tls_socket();
  tls_socket(const tls_socket&) = delete;
  tls_socket& operator=(const tls_socket&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  net::ip::tcp::socket& next_layer() { return socket_; }

  // The handshake, as the side this socket was made for. Completes with (error_code).
  template <class Token>
  auto async_handshake(Token&& token) {
    return start<void(error_code)>([this] { return handshake_once(); }, std::forward<Token>(token));
  }

  // Completes with (error_code, bytes) as Asio's streams do; net::error::eof after the peer's
  // close_notify, net::ssl::error::stream_truncated when the peer closed without one.
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    net::mutable_buffer first = first_buffer(buffers);
    return start<void(error_code, std::size_t)>([this, first] { return read_once(first); },
                                                std::forward<Token>(token));
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    net::const_buffer first = first_buffer(buffers);
    return start<void(error_code, std::size_t)>([this, first] { return write_once(first); },
                                                std::forward<Token>(token));
  }

  // Waits, holding no buffer, until a read would find something (bytes OpenSSL already holds,
  // or the socket readable); then reads up to `size` bytes into `buffer` (a DynamicBuffer) and
  // commits them. Completes with (error_code, bytes). An idle connection waits here: its buffer
  // exists only once a request is coming in.
  template <class DynamicBuffer, class Token>
  auto async_read_when_readable(DynamicBuffer& buffer, std::size_t size, Token&& token) {
    return start<void(error_code, std::size_t)>(
        [this, &buffer, size, waited = false]() mutable {
          if (!waited && !holds_input()) {
            waited = true;
            return attempt{next_step::wait_read, {}, 0};
          }
          auto outcome = read_once(buffer.prepare(size));
          buffer.commit(outcome.bytes);
          return outcome;
        },
        std::forward<Token>(token));
  }

  // Reads into `buffer` what OpenSSL already holds (the rest of a record, or records read ahead of
  // the last read), without waiting; 0 when it holds nothing. For a reader that takes every reply
  // already here before it waits again. Not while an async_read_some is outstanding.
  std::size_t read_held(net::mutable_buffer buffer);

  // Sends close_notify, without waiting for the peer's: a client that has gone needs no goodbye,
  // and one still there learns the connection ended cleanly, not truncated.
  void shutdown();

 private:
  enum class next_step { done, wait_read, wait_write };
  // What one non-blocking OpenSSL call came to.
  struct attempt {
    next_step next = next_step::done;
    error_code ec{};
    std::size_t bytes = 0;
  };

  // What both sides set up: OpenSSL on the socket's descriptor, without blocking.
  void attach();

  // One non-blocking OpenSSL call on an open socket: `call(bytes)` returns OpenSSL's result (1
  // for success) and sets the bytes it moved.
  template <class Call>
  attempt attempt_call(Call call);
  attempt handshake_once();
  attempt read_once(net::mutable_buffer buffer);
  attempt write_once(net::const_buffer buffer);
  // Whether OpenSSL holds bytes already, decrypted or not: read-ahead may have taken more than
  // one record off the socket, and the socket would not wake anyone for those.
  bool holds_input() const { return SSL_has_pending(ssl_) == 1; }
  // Turns a failed OpenSSL call's SSL_get_error() into a wait or an error.
  attempt failed(int ssl_result);

  // A call reads or writes the first non-empty buffer of a sequence, as asio::ssl::stream does;
  // async_read and async_write call again for the rest. supportd writes each answer as one buffer.
  template <class Buffers>
  static auto first_buffer(const Buffers& buffers) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      if ((*it).size() != 0) {
        return *it;
      }
    }
    return std::decay_t<decltype(*net::buffer_sequence_begin(buffers))>{};
  }

  // Retries `try_once` whenever the socket is ready for what OpenSSL asked for.
  template <class TryOnce, bool CountsBytes>
  struct operation {
    tls_socket& socket;
    TryOnce try_once;
    bool waited = false;
    std::optional<attempt> result{};

    template <class Self>
    void operator()(Self& self, error_code wait_ec = {}) {
      if (result) {
        finish(self, *result);
        return;
      }
      if (wait_ec) {
        finish(self, attempt{next_step::done, wait_ec, 0});
        return;
      }
      auto outcome = try_once();
      if (outcome.next != next_step::done) {
        waited = true;
        socket.socket_.async_wait(outcome.next == next_step::wait_read
                                      ? net::ip::tcp::socket::wait_read
                                      : net::ip::tcp::socket::wait_write,
                                  std::move(self));
        return;
      }
      if (!waited) {
        // Done without waiting: the handler must not run inside the call that started the
        // operation, so it runs from the executor's queue.
        result = outcome;
        net::post(socket.get_executor(), std::move(self));
        return;
      }
      finish(self, outcome);
    }

    template <class Self>
    static void finish(Self& self, const attempt& outcome) {
      if constexpr (CountsBytes) {
        self.complete(outcome.ec, outcome.bytes);
      } else {
        self.complete(outcome.ec);
      }
    }
  };

  template <class Signature, class TryOnce, class Token>
  auto start(TryOnce try_once, Token&& token) {
    constexpr bool counts_bytes = std::is_same_v<Signature, void(error_code, std::size_t)>;
    return net::async_compose<Token, Signature>(
        operation<TryOnce, counts_bytes>{*this, std::move(try_once)}, token, socket_);
  }

  net::ip::tcp::socket socket_;
  SSL* ssl_;
};

}  // namespace supportd::core

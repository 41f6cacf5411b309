#include "core/tls_socket.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <new>

namespace supportd::core {
namespace {

// Before each OpenSSL call: what SSL_get_error() and errno say afterwards must be about that call.
void clear_errors() {
  ERR_clear_error();
  errno = 0;
}

}  // namespace

tls_socket::tls_socket(net::ip::tcp::socket socket, SSL_CTX* context)
    : socket_(std::move(socket)), ssl_(SSL_new(context)) {
  attach();
  SSL_set_accept_state(ssl_);
}

tls_socket::tls_socket(net::ip::tcp::socket socket, SSL_CTX* context, const std::string& peer)
    : socket_(std::move(socket)), ssl_(SSL_new(context)) {
  attach();
  SSL_set_connect_state(ssl_);
  error_code not_an_address;
  net::ip::make_address(peer, not_an_address);
  // The name is copied into the SSL object: failing here means memory ran out (a name longer
  // than SNI carries is refused where the peer is configured, common::origin_of).
  const bool named = not_an_address
                         ? SSL_set_tlsext_host_name(ssl_, peer.c_str()) == 1 &&
                               SSL_set1_host(ssl_, peer.c_str()) == 1
                         : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), peer.c_str()) == 1;
  if (!named) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
}

void tls_socket::attach() {
  if (ssl_ == nullptr) {
    throw std::bad_alloc();
  }
  // OpenSSL's reads and writes must not block the worker: they report "want read/write" and the
  // operation waits for the socket instead.
  socket_.native_non_blocking(true);
  SSL_set_fd(ssl_, socket_.native_handle());
  // One read(2) takes as many records as the socket holds, not a 5-byte header and then the rest
  // of each record: fewer system calls per request.
  SSL_set_read_ahead(ssl_, 1);
}

tls_socket::~tls_socket() {
  SSL_free(ssl_);
}

void tls_socket::shutdown() {
  if (!socket_.is_open()) {
    return;
  }
  clear_errors();
  // One attempt: close_notify goes out if the socket takes it now; the peer's is not awaited.
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

template <class Call>
tls_socket::attempt tls_socket::attempt_call(Call call) {
  if (!socket_.is_open()) {
    return {next_step::done, net::error::bad_descriptor, 0};
  }
  clear_errors();
  std::size_t bytes = 0;
  const int result = call(bytes);
  return result == 1 ? attempt{next_step::done, {}, bytes} : failed(result);
}

tls_socket::attempt tls_socket::handshake_once() {
  return attempt_call([this](std::size_t&) { return SSL_do_handshake(ssl_); });
}

tls_socket::attempt tls_socket::read_once(net::mutable_buffer buffer) {
  if (buffer.size() == 0) {
    return {};
  }
  return attempt_call([this, buffer](std::size_t& bytes) {
    return SSL_read_ex(ssl_, buffer.data(), buffer.size(), &bytes);
  });
}

std::size_t tls_socket::read_held(net::mutable_buffer buffer) {
  if (!holds_input()) {
    return 0;
  }
  // A partial record held makes OpenSSL read the socket, which does not block: it then wants more.
  auto outcome = read_once(buffer);
  return outcome.next == next_step::done && !outcome.ec ? outcome.bytes : 0;
}

tls_socket::attempt tls_socket::write_once(net::const_buffer buffer) {
  if (buffer.size() == 0) {
    return {};
  }
  return attempt_call([this, buffer](std::size_t& bytes) {
    return SSL_write_ex(ssl_, buffer.data(), buffer.size(), &bytes);
  });
}

tls_socket::attempt tls_socket::failed(int ssl_result) {
  const int saved_errno = errno;
  attempt outcome;
  switch (SSL_get_error(ssl_, ssl_result)) {
    case SSL_ERROR_WANT_READ:
      outcome.next = next_step::wait_read;
      break;
    case SSL_ERROR_WANT_WRITE:
      outcome.next = next_step::wait_write;
      break;
    case SSL_ERROR_ZERO_RETURN:
      // The peer's close_notify: a clean end of stream.
      outcome.ec = net::error::eof;
      break;
    case SSL_ERROR_SYSCALL:
      outcome.ec = saved_errno != 0 ? error_code(saved_errno, boost::system::system_category())
                                    : error_code(net::ssl::error::stream_truncated);
      break;
    default: {
      const unsigned long code = ERR_peek_last_error();
      // The peer closed the socket without close_notify (OpenSSL 3 reports it as a protocol
      // error); Asio's streams call that a truncated stream.
      if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
          ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        outcome.ec = net::ssl::error::stream_truncated;
      } else {
        outcome.ec = error_code(static_cast<int>(code), net::error::get_ssl_category());
      }
      break;
    }
  }
  ERR_clear_error();
  return outcome;
}

}  // namespace supportd::core

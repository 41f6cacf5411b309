#include "http/outbound_http.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "common/url.hpp"
#include "core/tls_socket.hpp"
#include "core/use_tuple.hpp"
#include "http/message.hpp"

namespace supportd::http {
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

std::string_view outbound_response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return {};
}

std::optional<base_url> base_url::parse(std::string_view url) {
  // An origin (scheme, host within DNS's length, port), at most with a "/" after it.
  if (!common::origin_of(url)) {
    return std::nullopt;
  }
  auto parsed = boost::urls::parse_uri(url);
  if ((!parsed->encoded_path().empty() && parsed->encoded_path() != "/") || parsed->has_query()) {
    return std::nullopt;
  }
  base_url b;
  b.tls = parsed->scheme() == "https";
  b.host = parsed->host();
  b.port = parsed->has_port() ? std::string(parsed->port()) : (b.tls ? "443" : "80");
  return b;
}

std::shared_ptr<net::ssl::context> make_client_tls_context(const std::string& extra_ca_file) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  // Kept-alive connections between calls hold no record buffers (a reminder batch keeps hundreds
  // to an HTTPS notify URL).
  SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  context->set_default_verify_paths();
  context->set_verify_mode(net::ssl::verify_peer);
  if (!extra_ca_file.empty()) {
    error_code ec;
    context->load_verify_file(extra_ca_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load CA file " + extra_ca_file + ": " + ec.message());
    }
  }
  return context;
}

// One keep-alive connection: a socket, and for https bases the TLS layer that takes it over once
// connected (core/tls_socket.hpp: OpenSSL on the descriptor, no buffers of its own while idle).
struct outbound_http::connection {
  explicit connection(net::io_context& io) : socket(io) {}
  // The socket a deadline closes: the TLS layer's, once there is one.
  tcp::socket& transport() { return tls ? tls->next_layer() : socket; }

  tcp::socket socket;
  std::optional<core::tls_socket> tls;
  boost::beast::flat_buffer buffer;
};

// Closes the watched socket if the call is not done by its deadline; every pending operation on
// it then fails, and the call returns a timeout. One per attempt, from name resolution to the
// last byte of the answer: a call that resolved, connected or shook hands slowly has that much
// less time left for the rest.
class outbound_http::call_deadline {
 public:
  call_deadline(net::io_context& io, std::chrono::steady_clock::time_point at)
      : timer_(io), state_(std::make_shared<state>()), at_(at) {
    timer_.expires_at(at);
    // The handler may run after this object is gone (cancelled too late), so it owns the state.
    timer_.async_wait([s = state_](error_code ec) {
      if (ec) {
        return;
      }
      s->fired = true;
      if (s->target != nullptr) {
        error_code ignored;
        s->target->close(ignored);
      }
    });
  }
  ~call_deadline() {
    state_->target = nullptr;
    timer_.cancel();
  }
  call_deadline(const call_deadline&) = delete;
  call_deadline& operator=(const call_deadline&) = delete;

  void watch(tcp::socket& s) { state_->target = &s; }
  bool fired() const { return state_->fired; }
  // What a failed step returns: a timeout once the deadline has passed. Nothing but the deadline
  // aborts this call's operations, so an abort is one too.
  error_code failure(error_code ec) const {
    return fired() || ec == net::error::operation_aborted ? error_code(net::error::timed_out) : ec;
  }
  std::chrono::steady_clock::time_point at() const { return at_; }

 private:
  struct state {
    tcp::socket* target = nullptr;
    bool fired = false;
  };
  net::steady_timer timer_;
  std::shared_ptr<state> state_;
  std::chrono::steady_clock::time_point at_;
};

namespace {

// The addresses of `host` by `at`. getaddrinfo cannot be interrupted (Asio runs it on a thread of
// its own, and cancelling only drops its answer once it comes), so at the deadline the call stops
// waiting for it instead; the lookup's state lives on with its handler until it returns.
awaitable<boost::system::result<tcp::resolver::results_type>> resolve_by(
    net::io_context& io, const std::string& host, const std::string& port,
    std::chrono::steady_clock::time_point at) {
  struct lookup {
    explicit lookup(net::io_context& io) : resolver(io), done(io) {}
    tcp::resolver resolver;
    net::steady_timer done;
    std::optional<error_code> ec;
    tcp::resolver::results_type results;
  };
  auto state = std::make_shared<lookup>(io);
  state->done.expires_at(at);
  auto finish = [state](error_code ec, tcp::resolver::results_type results) {
    state->ec = ec;
    state->results = std::move(results);
    state->done.cancel();
  };
  state->resolver.async_resolve(host, port, std::move(finish));
  co_await state->done.async_wait(use_tuple);
  if (!state->ec) {
    state->resolver.cancel();
    co_return error_code(net::error::timed_out);
  }
  if (*state->ec) {
    co_return *state->ec;
  }
  co_return std::move(state->results);
}

constexpr std::size_t response_read_size = 8 * 1024;

bool has_line_break(std::string_view text) {
  // Two scans of the text: find_first_of would look each character up in the set.
  return text.find('\r') != std::string_view::npos || text.find('\n') != std::string_view::npos;
}

template <class Stream>
awaitable<error_code> write_and_read(Stream& stream, boost::beast::flat_buffer& buffer,
                                     const std::string& request,
                                     bhttp::response_parser<bhttp::string_body>& parser) {
  auto [write_ec, written] = co_await net::async_write(stream, net::buffer(request), use_tuple);
  if (write_ec) {
    co_return write_ec;
  }
  // Beast reads into the buffer's spare capacity, and at least 512 bytes: without room made
  // first, a 3 KB answer takes six reads and six parser passes. Kept-alive idle connections
  // give the room back.
  buffer.reserve(response_read_size);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  if (buffer.size() == 0) {
    buffer.shrink_to_fit();
  }
  co_return read_ec;
}

}  // namespace

std::string request_text(const outbound_request& r, std::string_view host) {
  std::size_t size = r.method.size() + r.target.size() + host.size() + r.body.size() + 128;
  for (const auto& [name, value] : r.headers) {
    size += name.size() + value.size() + 4;
  }
  std::string out;
  out.reserve(size);
  if (has_line_break(r.target)) {
    return out;
  }
  out += r.method;
  out += ' ';
  out += r.target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nUser-Agent: supportd/" SUPPORTD_VERSION "\r\n";
  for (const auto& [name, value] : r.headers) {
    if (has_line_break(name) || has_line_break(value)) {
      out.clear();
      return out;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  // As Beast's prepare_payload: a body's length always, an empty one's only where a body is
  // expected.
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += r.body;
  return out;
}

outbound_http::outbound_http(net::io_context& io, base_url where,
                             std::shared_ptr<net::ssl::context> tls,
                             std::chrono::milliseconds timeout, std::size_t max_idle)
    : io_(io),
      where_(std::move(where)),
      tls_(std::move(tls)),
      timeout_(timeout),
      max_idle_(max_idle) {}

outbound_http::~outbound_http() = default;

awaitable<boost::system::result<outbound_response>> outbound_http::send(
    const outbound_request& request) {
  // Refused before any connection is used: the same text would fail on every one.
  auto text = request_text(request, where_.host);
  if (text.empty()) {
    co_return make_error_code(boost::system::errc::invalid_argument);
  }
  call_deadline deadline(io_, std::chrono::steady_clock::now() + timeout_);
  // A kept-alive connection the server has meanwhile closed fails at once: then the request
  // goes once more, on a fresh connection, within the same deadline.
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    auto result = co_await exchange(std::move(c), text, deadline);
    if (result || result.error() == net::error::timed_out) {
      co_return result;
    }
  }
  auto fresh = std::make_unique<connection>(io_);
  deadline.watch(fresh->socket);
  auto endpoints = co_await resolve_by(io_, where_.host, where_.port, deadline.at());
  if (!endpoints) {
    co_return endpoints.error();
  }
  // Each address in turn, while time is left: a socket the deadline closed mid-connect is not
  // opened again for the next address (asio's range connect would, and wait on it unbounded).
  error_code connect_ec = net::error::host_not_found;
  for (const auto& entry : *endpoints) {
    if (deadline.fired()) {
      break;
    }
    error_code ignored;
    fresh->socket.close(ignored);
    std::tie(connect_ec) = co_await fresh->socket.async_connect(entry.endpoint(), use_tuple);
    if (!connect_ec) {
      break;
    }
  }
  if (deadline.fired() || connect_ec) {
    co_return deadline.failure(connect_ec);
  }
  error_code ignored;
  fresh->socket.set_option(tcp::no_delay(true), ignored);
  if (where_.tls) {
    fresh->tls.emplace(std::move(fresh->socket), tls_->native_handle(), where_.host);
    deadline.watch(fresh->transport());
    auto [handshake_ec] = co_await fresh->tls->async_handshake(use_tuple);
    if (handshake_ec) {
      co_return deadline.failure(handshake_ec);
    }
  }
  co_return co_await exchange(std::move(fresh), text, deadline);
}

awaitable<boost::system::result<outbound_response>> outbound_http::exchange(
    std::unique_ptr<connection> owned, const std::string& text, call_deadline& deadline) {
  auto& c = *owned;
  deadline.watch(c.transport());
  if (deadline.fired()) {
    co_return error_code(net::error::timed_out);
  }

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1024 * 1024);
  error_code ec = c.tls ? co_await write_and_read(*c.tls, c.buffer, text, parser)
                        : co_await write_and_read(c.socket, c.buffer, text, parser);
  if (ec) {
    co_return deadline.failure(ec);
  }
  auto message = parser.release();
  outbound_response response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message.base()) {
    response.headers.emplace_back(field.name_string(), field.value());
  }
  response.body = std::move(message.body());
  if (message.keep_alive() && idle_.size() < max_idle_) {
    idle_.push_back(std::move(owned));
  }
  co_return response;
}

}  // namespace supportd::http

// An HTTP/1.1 client for calls out to providers: TLS with certificate verification, keep-alive
// connections reused across calls, one deadline per call covering name resolution, connect, TLS
// handshake, write and read.
//
// Not thread-safe: one per worker thread, used on that thread's io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/net.hpp"

namespace supportd::http {

struct outbound_request {
  std::string_view method;  // "GET", "POST", "DELETE"
  std::string target;       // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// `r` as it goes on the wire to `host`, head and body in one buffer (one write, no per-field
// allocation); Host, User-Agent and Content-Length added. Empty when the target, a header name
// or a value holds a line break, which would smuggle in headers or requests of its own.
std::string request_text(const outbound_request& r, std::string_view host);

struct outbound_response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First value of a header (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

// Where a provider's API lives: "https://api.stripe.com" or, for local stand-ins,
// "http://127.0.0.1:12111".
struct base_url {
  bool tls = true;
  std::string host;
  std::string port;

  // Nothing for a URL with a path, query or user info, or a host longer than DNS allows (253).
  static std::optional<base_url> parse(std::string_view url);
};

class outbound_http {
 public:
  // `tls` verifies peers against the system store plus any extra CA the caller loaded. At most
  // `max_idle` connections are kept open between calls: as many as the caller runs at once.
  outbound_http(net::io_context& io, base_url where, std::shared_ptr<net::ssl::context> tls,
                std::chrono::milliseconds timeout, std::size_t max_idle = 8);
  ~outbound_http();
  outbound_http(const outbound_http&) = delete;
  outbound_http& operator=(const outbound_http&) = delete;

  // One request and its response. Network failures and timeouts are errors; any HTTP status
  // is a response.
  awaitable<boost::system::result<outbound_response>> send(const outbound_request& request);

 private:
  struct connection;
  class call_deadline;
  // Sends on `c` by `deadline` and, when the server keeps the connection alive, keeps it for the
  // next call.
  awaitable<boost::system::result<outbound_response>> exchange(std::unique_ptr<connection> c,
                                                               const std::string& text,
                                                               call_deadline& deadline);

  net::io_context& io_;
  base_url where_;
  std::shared_ptr<net::ssl::context> tls_;
  std::chrono::milliseconds timeout_;
  std::size_t max_idle_;
  // Idle keep-alive connections, most recently used last.
  std::vector<std::unique_ptr<connection>> idle_;
};

// A client TLS context: TLS 1.2+, peer verification on, system CAs plus `extra_ca_file`.
// Throws std::runtime_error naming the file when it cannot be loaded.
std::shared_ptr<net::ssl::context> make_client_tls_context(const std::string& extra_ca_file);

}  // namespace supportd::http

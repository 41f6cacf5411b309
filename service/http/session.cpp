#include "http/session.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "core/tls_socket.hpp"
#include "core/use_tuple.hpp"
#include "http/framing_of.hpp"
#include "http/problem.hpp"
#include "http/request_id.hpp"
#include "http/response_head.hpp"
#include "log/logger.hpp"

namespace supportd::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

std::string_view method_label(std::string_view method) {
  for (std::string_view known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == known) {
      return known;
    }
  }
  return "other";
}

// What went wrong reading a request header, as the answer to send (if any) before closing.
std::optional<problem> problem_for_read_error(const error_code& ec, const session_settings& s) {
  if (ec == bhttp::error::header_limit) {
    return headers_too_large(s.max_header_bytes);
  }
  if (ec == bhttp::error::body_limit) {
    return payload_too_large(s.max_body_bytes);
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return bad_request("The request is not valid HTTP/1.1: " + ec.message() + ".");
  }
  return std::nullopt;  // timeout, reset, EOF: nobody to answer
}

// Gives back the connection slot that the listener took when it accepted the connection.
class connection_slot {
 public:
  explicit connection_slot(server_metrics& m) : m_(m) {}
  ~connection_slot() { m_.open_connections.sub(1); }
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;

 private:
  server_metrics& m_;
};

// Looks up the labelled metric children of a request once per thread and label set; the
// request path then costs two relaxed atomic adds, not label-key allocations and a lock.
class request_metrics_cache {
 public:
  struct children {
    metrics::counter* requests;
    metrics::histogram* duration;
  };

  children& lookup(server_metrics& m, std::string_view route, std::string_view method, int status) {
    key k{&m, route.data(), method.data(), status};
    auto it = cache_.find(k);
    if (it == cache_.end()) {
      auto status_text = std::to_string(status);
      it = cache_
               .emplace(k, children{&m.requests.with({route, method, status_text}),
                                    &m.duration.with({route})})
               .first;
    }
    return it->second;
  }

 private:
  // Route patterns and method labels are string literals: their addresses identify them.
  struct key {
    const void* metrics;
    const char* route;
    const char* method;
    int status;
    bool operator==(const key&) const = default;
  };
  struct key_hash {
    std::size_t operator()(const key& k) const {
      auto h = std::hash<const void*>{}(k.route);
      h ^= std::hash<const void*>{}(k.method) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      h ^= std::hash<const void*>{}(k.metrics) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      return h ^ static_cast<std::size_t>(k.status);
    }
  };
  std::unordered_map<key, children, key_hash> cache_;
};

template <class Stream>
class session {
 public:
  static constexpr bool secure = std::is_same_v<Stream, core::tls_socket>;

  session(Stream& stream, const session_settings& settings, connection_tracker::entry& entry,
          const router& routes, std::string client_address)
      : stream_(stream),
        settings_(settings),
        entry_(entry),
        routes_(routes),
        client_address_(std::move(client_address)) {}

  // Answers requests until the client or the server ends the connection.
  awaitable<void> run() {
    bool first = true;
    for (;;) {
      if (settings_.draining->load(std::memory_order_relaxed)) {
        co_return;
      }
      if (buffer_.size() == 0) {
        // Wait for the first byte of the next request. A new connection gets the header
        // timeout for it, a kept-alive one the idle timeout; meanwhile the connection counts as
        // idle, so shutdown may close it.
        expires_after(first ? settings_.header_timeout : settings_.idle_timeout);
        entry_.idle = true;
        auto ec = co_await wait_for_request();
        entry_.idle = false;
        if (ec) {
          co_return;
        }
      }
      first = false;
      if (!co_await read_and_answer()) {
        co_return;
      }
    }
  }

 private:
  // An idle connection holds no buffer: thousands of idle keep-alive connections cost little
  // memory. It waits for readability, then one read takes a whole small request (Beast alone
  // would read 512 bytes at a time).
  awaitable<error_code> wait_for_request() {
    buffer_.shrink_to_fit();
    std::string().swap(out_);
    std::vector<header>().swap(headers_);
    error_code ec;
    std::size_t n = 0;
    if constexpr (secure) {
      std::tie(ec, n) = co_await stream_.async_read_when_readable(buffer_, 4096, use_tuple);
    } else {
      std::tie(ec) = co_await stream_.async_wait(tcp::socket::wait_read, use_tuple);
      if (!ec) {
        std::tie(ec, n) = co_await stream_.async_read_some(buffer_.prepare(4096), use_tuple);
        buffer_.commit(n);
      }
    }
    co_return ec;
  }

  // Reads one request and answers it; false when the connection is to be closed. The parser
  // lives in this coroutine's frame, not in the connection's, so an idle connection does not
  // keep one.
  awaitable<bool> read_and_answer() {
    // From the first byte on, the whole header (and then the body) must arrive within the
    // header timeout: a client trickling bytes (slowloris) loses the slot when it passes.
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(settings_.max_header_bytes));
    parser.body_limit(settings_.max_body_bytes);
    expires_after(settings_.header_timeout);
    auto [read_ec, header_bytes] =
        co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    const auto started = std::chrono::steady_clock::now();
    if (read_ec) {
      if (auto p = problem_for_read_error(read_ec, settings_)) {
        co_await answer_and_close(*p, started);
      }
      co_return false;
    }

    if (auto refused = refuse_framing(framing_of(parser.get().base()))) {
      co_await refuse(*refused, started);
      co_return false;
    }

    if (!parser.is_done()) {
      const auto& header = parser.get();
      if (auto expect = header[bhttp::field::expect]; iequals(expect, "100-continue")) {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [ec, n] = co_await net::async_write(stream_, net::buffer(go_on), use_tuple);
        if (ec) {
          co_return false;
        }
      }
      const auto fields_before_body = std::distance(header.begin(), header.end());
      auto [body_ec, body_bytes] = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
      if (body_ec) {
        if (auto p = problem_for_read_error(body_ec, settings_)) {
          co_await answer_and_close(*p, started);
        }
        co_return false;
      }
      // Beast adds chunked trailer fields to the header, where they would pass for fields
      // the client (and any proxy's checks) never saw up front.
      const auto& complete = parser.get();
      if (std::distance(complete.begin(), complete.end()) != fields_before_body) {
        co_await refuse("trailer fields after a chunked body", started);
        co_return false;
      }
    }

    auto message = parser.release();
    co_return co_await answer(message, started);
  }

  tcp::socket& lowest() {
    if constexpr (secure) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // The worker's sweep closes the connection if the current phase is not done by then.
  void expires_after(std::chrono::milliseconds d) {
    entry_.deadline = connection_tracker::clock::now() + d;
  }
  void expires_never() { entry_.deadline = connection_tracker::clock::time_point::max(); }

  // Handles one request; false when the connection is to be closed.
  awaitable<bool> answer(bhttp::request<bhttp::string_body>& message,
                         std::chrono::steady_clock::time_point started) {
    std::array<char, 32> generated_id;
    std::string_view request_id = message["X-Request-Id"];
    if (!is_sane_request_id(request_id)) {
      request_id = generate_request_id(generated_id);
    }

    request req;
    req.method = message.method_string();
    req.target = message.target();
    auto question = req.target.find('?');
    req.path = req.target.substr(0, question);
    req.query =
        question == std::string_view::npos ? std::string_view{} : req.target.substr(question + 1);
    headers_.clear();
    for (const auto& field : message.base()) {
      headers_.push_back({field.name_string(), field.value()});
    }
    req.headers = headers_;
    req.body = message.body();
    req.request_id = request_id;
    // Several traceparent lines make no one trace (W3C Trace Context): start a new one.
    req.trace = message.count("traceparent") == 1
                    ? trace_context::continue_or_start(message["traceparent"])
                    : trace_context::start();
    req.client_address = client_address_;
    req.secure = secure;
    req.ops_listener = settings_.ops_listener;

    auto match = routes_.match(req.method, req.path);
    std::string_view route_label = match.matched ? match.matched->pattern : "unmatched";
    response res;
    if (match.matched) {
      req.path_params = std::move(match.params);
      // The header timeout was for reading the request. A handler in progress is bounded by its
      // own deadlines (Redis, the provider's attempts), so the client always hears the answer
      // the log records, a 503 from a slow provider included, not a connection closed under it
      // while the handler goes on.
      expires_never();
      settings_.metrics->in_flight.add(1);
      try {
        res = co_await match.matched->handle(req);
      } catch (const std::exception& e) {
        log::error("handler failed",
                   {{"route", route_label}, {"request_id", request_id}, {"error", e.what()}});
        res = make_problem_response(internal_error());
      }
      settings_.metrics->in_flight.sub(1);
    } else if (!match.allowed.empty()) {
      res = make_problem_response(method_not_allowed(match.allowed));
      res.with_header("Allow", match.allowed);
    } else {
      res = make_problem_response(not_found());
    }

    const bool keep_alive =
        message.keep_alive() && !res.close && !settings_.draining->load(std::memory_order_relaxed);
    const bool head = message.method() == bhttp::verb::head;
    serialize(res, {message.version(), keep_alive, secure, request_id}, head);
    // A client that does not read its answer loses the connection as one that does not send
    // its request would.
    expires_after(settings_.header_timeout);
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(out_), use_tuple);
    record(req.method, route_label, res.status, request_id, req.trace.trace_id(), started);
    co_return !ec && keep_alive;
  }

  awaitable<void> refuse(std::string_view reason, std::chrono::steady_clock::time_point started) {
    settings_.metrics->refused_framing.with({reason}).inc();
    co_await answer_and_close(
        bad_request("Ambiguous message framing: " + std::string(reason) + "."), started);
  }

  // Answers a request that cannot be read on, then closes. What the client is still sending is
  // read and dropped for a moment first: closing with unread input would reset the connection
  // and could destroy the answer before the client reads it.
  awaitable<void> answer_and_close(const problem& p,
                                   std::chrono::steady_clock::time_point started) {
    std::array<char, 32> id_storage;
    auto id = generate_request_id(id_storage);
    auto res = make_problem_response(p);
    serialize(res, {11, false, secure, id}, false);
    expires_after(settings_.header_timeout);
    auto [write_ec, n] = co_await net::async_write(stream_, net::buffer(out_), use_tuple);
    record("", "unparsed", res.status, id, trace_context::start().trace_id(), started);
    if (write_ec) {
      co_return;
    }
    error_code ec;
    lowest().shutdown(tcp::socket::shutdown_send, ec);
    expires_after(std::chrono::seconds(1));
    std::array<char, 4096> discard;
    while (!ec) {
      auto [read_ec, n] = co_await lowest().async_read_some(net::buffer(discard), use_tuple);
      ec = read_ec;
    }
  }

  // Head and body into one buffer, for one write. A response to HEAD announces its body's
  // length but does not send it: bytes after the header would be read as the start of the
  // next response.
  void serialize(const response& res, const response_framing& framing, bool head) {
    out_.clear();
    append_response_head(out_, res, framing);
    if (!head) {
      out_ += res.body;
    }
  }

  void record(std::string_view method, std::string_view route, int status,
              std::string_view request_id, std::string_view trace_id,
              std::chrono::steady_clock::time_point started) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    thread_local request_metrics_cache cache;
    auto method_name = method_label(method);
    auto& children = cache.lookup(*settings_.metrics, route, method_name, status);
    children.requests->inc();
    children.duration->observe(elapsed.count());
    if (log::enabled(log::level::info)) {
      log::info("request", {{"method", method_name},
                            {"route", route},
                            {"status", status},
                            {"duration_ms", elapsed.count() * 1000},
                            {"request_id", request_id},
                            {"trace_id", trace_id}});
    }
  }

  Stream& stream_;
  const session_settings& settings_;
  connection_tracker::entry& entry_;
  const router& routes_;
  std::string client_address_;
  // Reused while requests follow each other without a pause (pipelining); freed while idle.
  beast::flat_buffer buffer_;
  std::vector<header> headers_;
  std::string out_;
};

std::string remote_address(const tcp::socket& socket) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string{} : endpoint.address().to_string();
}

// Registers the connection with its worker's tracker for as long as it lives.
class tracked {
 public:
  tracked(connection_tracker& tracker, std::function<void()> close)
      : tracker_(tracker), handle_(tracker.add(std::move(close))) {}
  ~tracked() { tracker_.remove(handle_); }
  tracked(const tracked&) = delete;
  tracked& operator=(const tracked&) = delete;
  connection_tracker::entry& entry() { return *handle_; }

 private:
  connection_tracker& tracker_;
  connection_tracker::handle handle_;
};

}  // namespace

awaitable<void> serve_plain(tcp::socket socket, const session_settings& settings,
                            connection_tracker& tracker, const router& routes) {
  connection_slot slot(*settings.metrics);
  auto address = remote_address(socket);
  tracked registration(tracker, [&socket] {
    error_code ignored;
    socket.close(ignored);
  });
  session<tcp::socket> s(socket, settings, registration.entry(), routes, std::move(address));
  co_await s.run();
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> serve_tls(tcp::socket socket, std::shared_ptr<net::ssl::context> tls_context,
                          const session_settings& settings, connection_tracker& tracker,
                          const router& routes) {
  connection_slot slot(*settings.metrics);
  auto address = remote_address(socket);
  core::tls_socket stream(std::move(socket), tls_context->native_handle());
  tracked registration(tracker, [&stream] {
    error_code ignored;
    stream.next_layer().close(ignored);
  });
  auto& entry = registration.entry();

  entry.deadline = connection_tracker::clock::now() + settings.header_timeout;
  entry.idle = true;  // no request yet: shutdown may close it
  auto [ec] = co_await stream.async_handshake(use_tuple);
  entry.idle = false;
  if (ec) {
    settings.metrics->tls_handshake_failures.inc();
    log::debug("tls handshake failed", {{"error", ec.message()}});
    co_return;
  }
  session<core::tls_socket> s(stream, settings, entry, routes, std::move(address));
  co_await s.run();
  stream.shutdown();
}

}  // namespace supportd::http

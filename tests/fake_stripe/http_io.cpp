#include "http_io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <iostream>
#include <stdexcept>

#include "stripe_signature.hpp"

namespace fake_stripe {
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Of a request to fake-stripe, and of a webhook endpoint's answer.
constexpr std::uint64_t body_limit_bytes = 1'048'576;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- the server -----------------------------------------------------------------------------

api_request to_api_request(http::request<http::string_body>& message) {
  api_request r;
  r.method = std::string(message.method_string());
  r.target = std::string(message.target());
  for (const auto& field : message.base()) {
    r.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  r.body = std::move(message.body());
  return r;
}

// Answers requests on one connection until the client closes it (or a test asks for a drop).
template <class Stream>
awaitable<void> serve_requests(Stream& stream, beast::tcp_stream& lowest, fake_stripe_api& api,
                               webhook_sender* webhooks) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit_bytes);
    lowest.expires_after(std::chrono::seconds(60));
    auto [read_ec, read_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_ec) {
      co_return;
    }
    auto message = parser.release();
    const auto version = message.version();
    const bool keep_alive = message.keep_alive();
    const bool head = message.method() == http::verb::head;
    auto outcome = api.handle(to_api_request(message));

    // A dropped request gets no answer at all: the client sees the connection close.
    if (outcome.drop) {
      error_code ignored;
      lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest.socket().close(ignored);
      co_return;
    }
    if (outcome.delay.count() > 0) {
      net::steady_timer timer(lowest.get_executor());
      timer.expires_after(outcome.delay);
      error_code ignored;
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }

    switch (outcome.mode) {
      case api_outcome::delivery::background:
        for (auto& event : outcome.events) {
          if (webhooks) {
            webhooks->deliver_in_background(std::move(event));
          }
        }
        break;
      case api_outcome::delivery::before_answer:
        for (auto& event : outcome.events) {
          if (webhooks) {
            co_await webhooks->deliver(std::move(event));
          }
        }
        break;
      case api_outcome::delivery::report:
        if (!outcome.events.empty()) {
          std::optional<int> status;
          if (webhooks) {
            status = co_await webhooks->deliver(outcome.events.front());
          }
          outcome.response.body =
              fake_stripe_api::delivery_report(outcome.events.front(), status, outcome.report);
        }
        break;
    }

    http::response<http::string_body> res;
    res.version(version);
    res.result(static_cast<unsigned>(outcome.response.status));
    res.set(http::field::server, "nginx");
    res.set(http::field::content_type, outcome.response.content_type);
    for (const auto& h : outcome.response.headers) {
      res.set(h.name, h.value);
    }
    res.body() = std::move(outcome.response.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (head) {
      res.body().clear();
    }
    lowest.expires_after(std::chrono::seconds(30));
    http::response_serializer<http::string_body> serializer(res);
    if (head) {
      serializer.split(true);
      auto [write_ec, n] = co_await http::async_write_header(stream, serializer, use_tuple);
      if (write_ec) {
        co_return;
      }
    } else {
      auto [write_ec, n] = co_await http::async_write(stream, serializer, use_tuple);
      if (write_ec) {
        co_return;
      }
    }
    if (!keep_alive) {
      co_return;
    }
  }
}

awaitable<void> serve_connection(tcp::socket socket, std::shared_ptr<net::ssl::context> tls,
                                 fake_stripe_api& api, webhook_sender* webhooks) {
  try {
    beast::tcp_stream plain(std::move(socket));
    if (!tls) {
      co_await serve_requests(plain, plain, api, webhooks);
      error_code ignored;
      plain.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    net::ssl::stream<beast::tcp_stream> secure(std::move(plain), *tls);
    secure.next_layer().expires_after(std::chrono::seconds(10));
    auto [handshake_ec] = co_await secure.async_handshake(net::ssl::stream_base::server, use_tuple);
    if (handshake_ec) {
      co_return;
    }
    co_await serve_requests(secure, secure.next_layer(), api, webhooks);
    if (secure.next_layer().socket().is_open()) {
      secure.next_layer().expires_after(std::chrono::seconds(1));
      error_code ignored;
      co_await secure.async_shutdown(net::redirect_error(net::use_awaitable, ignored));
    }
  } catch (const std::exception& e) {
    std::cerr << R"({"msg":"connection failed","error":")" << e.what() << "\"}" << std::endl;
  }
}

// --- the webhook client ---------------------------------------------------------------------

// One POST and its answer's status on a connected stream.
template <class Stream>
awaitable<std::pair<std::optional<int>, std::string>> exchange(
    Stream& stream, http::request<http::string_body>& request) {
  auto [write_ec, written] = co_await http::async_write(stream, request, use_tuple);
  if (write_ec) {
    co_return std::pair<std::optional<int>, std::string>(std::nullopt,
                                                         "write: " + write_ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_limit_bytes);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (read_ec) {
    co_return std::pair<std::optional<int>, std::string>(std::nullopt,
                                                         "read: " + read_ec.message());
  }
  co_return std::pair<std::optional<int>, std::string>(parser.get().result_int(), std::string());
}

}  // namespace

webhook_sender::webhook_sender(net::any_io_executor executor, webhook_settings settings,
                               fake_stripe_api& api)
    : executor_(std::move(executor)), settings_(std::move(settings)), api_(api) {
  auto parsed = boost::urls::parse_uri(settings_.url);
  if (!parsed) {
    throw std::invalid_argument("--webhook-url is not a URL: " + settings_.url);
  }
  auto scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https") {
    throw std::invalid_argument("--webhook-url must be http:// or https://");
  }
  https_ = scheme == "https";
  host_ = std::string(parsed->host_address());
  if (host_.empty()) {
    throw std::invalid_argument("--webhook-url has no host");
  }
  port_ = parsed->has_port() ? std::string(parsed->port()) : (https_ ? "443" : "80");
  target_ = std::string(parsed->encoded_path());
  if (target_.empty()) {
    target_ = "/";
  }
  if (parsed->has_query()) {
    target_ += "?" + std::string(parsed->encoded_query());
  }
  host_header_ = std::string(parsed->encoded_host_and_port());
  if (https_) {
    tls_ = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    if (settings_.ca_file) {
      tls_->load_verify_file(*settings_.ca_file);
      tls_->set_verify_mode(net::ssl::verify_peer);
    } else {
      tls_->set_verify_mode(net::ssl::verify_none);
    }
  }
}

awaitable<webhook_sender::attempt_result> webhook_sender::attempt(const outgoing_event& event) {
  http::request<http::string_body> request(http::verb::post, target_, 11);
  request.set(http::field::host, host_header_);
  request.set(http::field::user_agent, "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
  request.set(http::field::content_type, "application/json; charset=utf-8");
  request.set(http::field::accept, "*/*; q=0.5, application/xml");
  request.set(http::field::cache_control, "no-cache");
  request.set("Stripe-Signature",
              stripe_signature_header(settings_.secret, unix_now(), event.body));
  request.body() = event.body;
  request.keep_alive(false);
  request.prepare_payload();

  tcp::resolver resolver(executor_);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(host_, port_, use_tuple);
  if (resolve_ec) {
    co_return attempt_result{std::nullopt, "resolve: " + resolve_ec.message()};
  }
  beast::tcp_stream stream(executor_);
  stream.expires_after(settings_.timeout);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  if (connect_ec) {
    co_return attempt_result{std::nullopt, "connect: " + connect_ec.message()};
  }
  if (!https_) {
    auto [status, error] = co_await exchange(stream, request);
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return attempt_result{status, error};
  }
  net::ssl::stream<beast::tcp_stream> secure(std::move(stream), *tls_);
  if (!SSL_set_tlsext_host_name(secure.native_handle(), host_.c_str())) {
    co_return attempt_result{std::nullopt, "tls: cannot set SNI"};
  }
  if (settings_.ca_file) {
    secure.set_verify_callback(net::ssl::host_name_verification(host_));
  }
  auto [handshake_ec] = co_await secure.async_handshake(net::ssl::stream_base::client, use_tuple);
  if (handshake_ec) {
    co_return attempt_result{std::nullopt, "tls handshake: " + handshake_ec.message()};
  }
  auto [status, error] = co_await exchange(secure, request);
  secure.next_layer().expires_after(std::chrono::seconds(1));
  error_code ignored;
  co_await secure.async_shutdown(net::redirect_error(net::use_awaitable, ignored));
  co_return attempt_result{status, error};
}

awaitable<std::optional<int>> webhook_sender::deliver(outgoing_event event) {
  auto result = co_await attempt(event);
  api_.record_delivery(event, 1, result.status, result.error);
  const bool delivered = result.status && *result.status >= 200 && *result.status < 300;
  if (!delivered && settings_.attempts > 1) {
    net::co_spawn(executor_, retry(std::move(event), 2), net::detached);
  }
  co_return result.status;
}

void webhook_sender::deliver_in_background(outgoing_event event) {
  net::co_spawn(executor_, retry(std::move(event), 1), net::detached);
}

awaitable<void> webhook_sender::retry(outgoing_event event, int first_attempt) {
  auto pause = settings_.first_backoff;
  for (int n = first_attempt; n <= settings_.attempts; ++n) {
    if (n > 1) {
      net::steady_timer timer(executor_);
      timer.expires_after(pause);
      error_code ignored;
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
      pause *= 2;
    }
    auto result = co_await attempt(event);
    api_.record_delivery(event, n, result.status, result.error);
    if (result.status && *result.status >= 200 && *result.status < 300) {
      co_return;
    }
  }
}

awaitable<void> serve(tcp::acceptor& acceptor, std::shared_ptr<net::ssl::context> tls,
                      fake_stripe_api& api, webhook_sender* webhooks) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == net::error::operation_aborted || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      continue;
    }
    // Header and body go out in separate writes: without this, Nagle's algorithm holds the body
    // until the client's delayed ACK, some 40 ms per response.
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), tls, api, webhooks),
                  net::detached);
  }
}

}  // namespace fake_stripe

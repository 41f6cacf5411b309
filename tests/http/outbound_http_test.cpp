// The outbound client against providers that stall at one step or another, over real loopback
// sockets: each attempt ends by its one deadline, whichever steps ate into it.
#include "http/outbound_http.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "http/tls_context.hpp"
#include "support/run_awaitable.hpp"
#include "support/supportd_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::http {
namespace {

using namespace std::chrono_literals;
using tcp = net::ip::tcp;
namespace bhttp = boost::beast::http;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// How a stand-in provider stalls.
struct stalls {
  std::chrono::milliseconds before_handshake{0};
  std::chrono::milliseconds before_answer{0};
};

// Accepts one connection, then shakes hands and answers 200 "ok", each after its stall.
awaitable<void> stalling_provider(tcp::acceptor& acceptor, net::ssl::context& tls, stalls s) {
  auto [accept_ec, socket] = co_await acceptor.async_accept(use_tuple);
  if (accept_ec) {
    co_return;
  }
  net::steady_timer wait(socket.get_executor());
  wait.expires_after(s.before_handshake);
  co_await wait.async_wait(use_tuple);
  net::ssl::stream<tcp::socket> stream(std::move(socket), tls);
  auto [handshake_ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
  if (handshake_ec) {
    co_return;
  }
  boost::beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> request;
  auto [read_ec, n] = co_await bhttp::async_read(stream, buffer, request, use_tuple);
  if (read_ec) {
    co_return;
  }
  wait.expires_after(s.before_answer);
  co_await wait.async_wait(use_tuple);
  static constexpr std::string_view answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  co_await net::async_write(stream, net::buffer(answer), use_tuple);
}

class OutboundHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    test::make_certificate(dir.path() / "cert.pem", dir.path() / "key.pem", "provider");
    server_tls = http::make_server_tls_context((dir.path() / "cert.pem").string(),
                                               (dir.path() / "key.pem").string());
    acceptor.open(tcp::v4());
    acceptor.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
  }

  // One GET through a client whose calls get `timeout`; the result and how long it took.
  std::pair<boost::system::result<outbound_response>, std::chrono::milliseconds> call(
      std::chrono::milliseconds timeout) {
    auto where =
        base_url::parse("https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
    outbound_http client(io, *where, make_client_tls_context((dir.path() / "cert.pem").string()),
                         timeout);
    outbound_request request{"GET", "/v1/things", {}, {}};
    const auto started = std::chrono::steady_clock::now();
    auto result = test::run(io, client.send(request));
    return {std::move(result), std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - started)};
  }

  net::io_context io;
  test::temp_dir dir;
  std::shared_ptr<net::ssl::context> server_tls;
  tcp::acceptor acceptor{io};
};

TEST_F(OutboundHttp, AnAnswerInTimeIsAnAnswer) {
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {}), net::detached);
  auto [result, took] = call(2s);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "ok");
}

TEST_F(OutboundHttp, AHandshakeThatNeverCompletesEndsAtTheDeadline) {
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {.before_handshake = 30s}),
                net::detached);
  auto [result, took] = call(300ms);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), net::error::timed_out);
  EXPECT_LT(took, 1s);
}

TEST_F(OutboundHttp, TheDeadlineCoversTheHandshakeAndTheAnswerTogether) {
  // Each step alone is within the deadline; both together are not. A deadline restarted after
  // the handshake would let this call take 1.6 times as long as it is allowed.
  net::co_spawn(
      io,
      stalling_provider(acceptor, *server_tls, {.before_handshake = 400ms, .before_answer = 400ms}),
      net::detached);
  auto [result, took] = call(500ms);
  ASSERT_FALSE(result) << "answered after " << took.count() << " ms";
  EXPECT_EQ(result.error(), net::error::timed_out);
  EXPECT_LT(took, 700ms);
}

TEST_F(OutboundHttp, AProviderThatNeverAnswersEndsAtTheDeadline) {
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {.before_answer = 30s}),
                net::detached);
  auto [result, took] = call(300ms);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), net::error::timed_out);
  EXPECT_LT(took, 1s);
}

}  // namespace
}  // namespace supportd::http

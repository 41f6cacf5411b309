// The server's TLS socket against a real OpenSSL client (Asio's ssl::stream) over loopback:
// HTTP through Beast, answers larger than the socket takes at once, the three ways a connection
// ends, and bytes that OpenSSL read ahead of the reader.
#include "core/tls_socket.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <string>

#include "core/use_tuple.hpp"
#include "http/tls_context.hpp"
#include "support/run_awaitable.hpp"
#include "support/supportd_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::core {
namespace {

using namespace std::chrono_literals;
using tcp = net::ip::tcp;
namespace bhttp = boost::beast::http;
using client_stream = net::ssl::stream<tcp::socket>;

class TlsSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    test::make_certificate(dir.path() / "cert.pem", dir.path() / "key.pem", "supportd");
    server_tls = http::make_server_tls_context((dir.path() / "cert.pem").string(),
                                               (dir.path() / "key.pem").string());
    acceptor.open(tcp::v4());
    acceptor.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
  }

  // A connection whose handshake both sides have finished.
  void connect() {
    client = std::make_unique<client_stream>(io, client_tls);
    client->next_layer().connect(acceptor.local_endpoint());
    server = std::make_unique<tls_socket>(acceptor.accept(), server_tls->native_handle());
    error_code server_ec = net::error::would_block;
    error_code client_ec = net::error::would_block;
    server->async_handshake([&](error_code ec) { server_ec = ec; });
    client->async_handshake(client_stream::client, [&](error_code ec) { client_ec = ec; });
    ASSERT_TRUE(test::run_until(
        io,
        [&] {
          return server_ec != net::error::would_block && client_ec != net::error::would_block;
        },
        5s));
    ASSERT_FALSE(server_ec) << server_ec.message();
    ASSERT_FALSE(client_ec) << client_ec.message();
  }

  // What the server's next read_some completes with, waited for at most `timeout`.
  std::pair<error_code, std::string> server_read(std::size_t at_most,
                                                 std::chrono::milliseconds timeout = 5s) {
    std::string data(at_most, '\0');
    std::optional<std::pair<error_code, std::size_t>> done;
    server->async_read_some(net::buffer(data),
                            [&](error_code ec, std::size_t n) { done.emplace(ec, n); });
    EXPECT_TRUE(test::run_until(
        io, [&] { return done.has_value(); }, timeout));
    if (!done) {
      return {net::error::timed_out, {}};
    }
    data.resize(done->second);
    return {done->first, data};
  }

  // What async_read_when_readable completes with, waited for at most `timeout`.
  std::pair<error_code, std::string> read_when_readable(std::chrono::milliseconds timeout) {
    boost::beast::flat_buffer buffer;
    std::optional<error_code> done;
    server->async_read_when_readable(buffer, 4096, [&](error_code ec, std::size_t) { done = ec; });
    EXPECT_TRUE(test::run_until(
        io, [&] { return done.has_value(); }, timeout));
    if (!done) {
      return {net::error::timed_out, {}};
    }
    return {*done, boost::beast::buffers_to_string(buffer.data())};
  }

  void client_write(const std::string& data) {
    error_code ec;
    net::write(*client, net::buffer(data), ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  net::io_context io;
  test::temp_dir dir;
  std::shared_ptr<net::ssl::context> server_tls;
  net::ssl::context client_tls{net::ssl::context::tls_client};
  tcp::acceptor acceptor{io};
  std::unique_ptr<client_stream> client;
  std::unique_ptr<tls_socket> server;
};

awaitable<std::string> answer_one_request(tls_socket& socket) {
  boost::beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> request;
  auto [read_ec, n] = co_await bhttp::async_read(socket, buffer, request, use_tuple);
  if (read_ec) {
    co_return "read failed: " + read_ec.message();
  }
  bhttp::response<bhttp::string_body> response{bhttp::status::ok, 11};
  response.body() = "you sent " + request.body();
  response.prepare_payload();
  auto [write_ec, written] = co_await bhttp::async_write(socket, response, use_tuple);
  co_return write_ec ? "write failed: " + write_ec.message() : std::string(request.target());
}

TEST_F(TlsSocket, BeastReadsARequestAndWritesTheAnswerThroughIt) {
  connect();
  std::optional<std::string> served;
  net::co_spawn(io, answer_one_request(*server),
                [&](std::exception_ptr, std::string target) { served = std::move(target); });
  client_write("POST /v1/pledges HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(test::run_until(
      io, [&] { return served.has_value(); }, 5s));
  EXPECT_EQ(*served, "/v1/pledges");

  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(*client, buffer, response);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "you sent hello");
}

// 16 MiB is more than the loopback socket buffers take: the write must wait for the client to
// read, then finish, with every byte in order.
TEST_F(TlsSocket, AnAnswerLargerThanTheSocketTakesArrivesWholeWhenTheClientReadsLate) {
  connect();
  std::string big(16 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>('a' + i % 26);
  }
  std::optional<std::pair<error_code, std::size_t>> wrote;
  net::async_write(*server, net::buffer(big),
                   [&](error_code ec, std::size_t n) { wrote.emplace(ec, n); });
  test::run_for(io, 200ms);
  ASSERT_FALSE(wrote.has_value()) << "the whole answer fit in the socket: the test proves nothing";

  std::string received(big.size(), '\0');
  std::optional<std::pair<error_code, std::size_t>> read;
  net::async_read(*client, net::buffer(received),
                  [&](error_code ec, std::size_t n) { read.emplace(ec, n); });
  ASSERT_TRUE(test::run_until(
      io, [&] { return wrote && read; }, 10s));
  EXPECT_FALSE(wrote->first) << wrote->first.message();
  EXPECT_EQ(wrote->second, big.size());
  EXPECT_FALSE(read->first) << read->first.message();
  EXPECT_TRUE(received == big);
}

TEST_F(TlsSocket, ThePeersCloseNotifyReadsAsEndOfStreamAndOursReachesThePeer) {
  connect();
  // The client sends its close_notify, then waits for the server's.
  std::optional<error_code> client_shutdown;
  client->async_shutdown([&](error_code ec) { client_shutdown = ec; });
  auto [ec, data] = server_read(64);
  EXPECT_EQ(ec, net::error::eof) << ec.message();
  ASSERT_FALSE(client_shutdown.has_value());

  server->shutdown();
  ASSERT_TRUE(test::run_until(
      io, [&] { return client_shutdown.has_value(); }, 5s));
  EXPECT_FALSE(*client_shutdown) << client_shutdown->message();
}

TEST_F(TlsSocket, APeerThatClosesWithoutCloseNotifyIsATruncatedStream) {
  connect();
  client->next_layer().shutdown(tcp::socket::shutdown_send);  // a FIN, no close_notify
  auto [ec, data] = server_read(64);
  EXPECT_EQ(ec, net::ssl::error::stream_truncated) << ec.message();
}

// Two records arrive in one segment; read-ahead takes both off the socket with the first read,
// so the socket has nothing left to announce. A wait for the second must still complete.
TEST_F(TlsSocket, BytesReadAheadOfTheReaderCountAsReadable) {
  connect();
  client_write("first");
  client_write("second");
  test::run_for(io, 50ms);  // both records are in the server's socket

  auto [ec, data] = server_read(5);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(data, "first");

  // Nothing more comes from the client: the wait must see what OpenSSL holds.
  auto [read_ec, next] = read_when_readable(2s);
  EXPECT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(next, "second");
}

TEST_F(TlsSocket, AnIdleWaitHoldsNoBufferAndReadsTheNextRequestWhenItArrives) {
  connect();
  boost::beast::flat_buffer buffer;
  std::optional<std::pair<error_code, std::size_t>> done;
  server->async_read_when_readable(buffer, 4096,
                                   [&](error_code ec, std::size_t n) { done.emplace(ec, n); });
  test::run_for(io, 50ms);
  ASSERT_FALSE(done.has_value()) << "nothing was sent, yet the connection was readable";
  EXPECT_EQ(buffer.capacity(), 0u);

  client_write("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(test::run_until(
      io, [&] { return done.has_value(); }, 2s));
  EXPECT_FALSE(done->first) << done->first.message();
  EXPECT_EQ(boost::beast::buffers_to_string(buffer.data()), "GET / HTTP/1.1\r\n\r\n");
}

TEST_F(TlsSocket, AnIdleWaitEndsWhenTheSocketIsClosedUnderIt) {
  connect();
  boost::beast::flat_buffer buffer;
  std::optional<error_code> done;
  server->async_read_when_readable(buffer, 4096, [&](error_code ec, std::size_t) { done = ec; });
  test::run_for(io, 50ms);
  ASSERT_FALSE(done.has_value()) << "nothing was sent, yet the connection was readable";

  server->next_layer().close();  // what the worker's sweep does to an expired connection
  ASSERT_TRUE(test::run_until(
      io, [&] { return done.has_value(); }, 2s));
  EXPECT_EQ(*done, net::error::operation_aborted) << done->message();
  auto [ec, data] = server_read(64);
  EXPECT_EQ(ec, net::error::bad_descriptor) << ec.message();
}

TEST_F(TlsSocket, PlainHttpInsteadOfAHandshakeFailsTheHandshake) {
  tcp::socket plain(io);
  plain.connect(acceptor.local_endpoint());
  server = std::make_unique<tls_socket>(acceptor.accept(), server_tls->native_handle());
  net::write(plain, net::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::optional<error_code> handshake;
  server->async_handshake([&](error_code ec) { handshake = ec; });
  ASSERT_TRUE(test::run_until(
      io, [&] { return handshake.has_value(); }, 5s));
  EXPECT_EQ(handshake->category(), net::error::get_ssl_category()) << handshake->message();
}

}  // namespace
}  // namespace supportd::core

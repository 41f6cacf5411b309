// The outbound client against providers that stall at one step or another, over real loopback
// sockets: each attempt ends by its one deadline, whichever steps ate into it.
#include "http/outbound_http.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

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
#include <optional>
#include <string>

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

// Accepts one connection, then shakes hands and answers 200 "ok", each after its stall. The
// host name the client sent (SNI) goes to `heard_name`, "" for none, once the handshake is done.
awaitable<void> stalling_provider(tcp::acceptor& acceptor, net::ssl::context& tls, stalls s,
                                  std::optional<std::string>* heard_name = nullptr) {
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
  if (heard_name != nullptr) {
    const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    *heard_name = name != nullptr ? name : "";
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

  // The provider's certificate, for `alt_names`, instead of the one for 127.0.0.1.
  void use_certificate(const std::string& alt_names) {
    test::make_certificate(dir.path() / "cert.pem", dir.path() / "key.pem", "provider", alt_names);
    server_tls = http::make_server_tls_context((dir.path() / "cert.pem").string(),
                                               (dir.path() / "key.pem").string());
  }

  // One GET to `host` through a client whose calls get `timeout` and that trusts `ca_file` (by
  // default the provider's own certificate); the result and how long it took.
  std::pair<boost::system::result<outbound_response>, std::chrono::milliseconds> call(
      std::chrono::milliseconds timeout, const std::string& host = "127.0.0.1",
      std::string ca_file = {}) {
    auto where =
        base_url::parse("https://" + host + ":" + std::to_string(acceptor.local_endpoint().port()));
    if (ca_file.empty()) {
      ca_file = (dir.path() / "cert.pem").string();
    }
    outbound_http client(io, *where, make_client_tls_context(ca_file), timeout);
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

// The peer is checked as browsers check it: its certificate must be for the host called, and
// from a CA the client trusts.
TEST_F(OutboundHttp, ACertificateForAnotherAddressIsRefused) {
  use_certificate("IP:127.0.0.2");
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {}), net::detached);
  auto [result, took] = call(2s);
  ASSERT_FALSE(result) << "a certificate for 127.0.0.2 was taken for 127.0.0.1";
  EXPECT_NE(result.error(), net::error::timed_out) << "refused at once, not at the deadline";
}

TEST_F(OutboundHttp, AHostNameIsCheckedAgainstTheCertificateAndSentAsSni) {
  use_certificate("DNS:localhost");
  std::optional<std::string> heard;
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {}, &heard), net::detached);
  auto [result, took] = call(2s, "localhost");
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->body, "ok");
  EXPECT_EQ(heard, "localhost");

  use_certificate("DNS:provider.example");
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {}), net::detached);
  auto [refused, refused_after] = call(2s, "localhost");
  EXPECT_FALSE(refused) << "a certificate for provider.example was taken for localhost";
}

TEST_F(OutboundHttp, AnAddressIsNotSentAsSni) {
  std::optional<std::string> heard;
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {}, &heard), net::detached);
  auto [result, took] = call(2s);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(heard, "") << "RFC 6066: no literal IP address in server_name";
}

TEST_F(OutboundHttp, ACertificateNoTrustedAuthoritySignedIsRefused) {
  test::make_certificate(dir.path() / "other.pem", dir.path() / "other-key.pem", "other");
  net::co_spawn(io, stalling_provider(acceptor, *server_tls, {}), net::detached);
  auto [result, took] = call(2s, "127.0.0.1", (dir.path() / "other.pem").string());
  ASSERT_FALSE(result) << "a certificate the client does not trust was taken";
  EXPECT_NE(result.error(), net::error::timed_out);
}

}  // namespace
}  // namespace supportd::http

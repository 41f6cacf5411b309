// W3C Trace Context end to end: a pledge's trace id is in supportd's request log line and goes on
// to the provider call it causes, with a parent id of supportd's own.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;

// A stand-in for Stripe's API over plain HTTP on loopback that keeps the head of every request
// it gets and answers each with a Checkout Session. Only what these tests need: one request per
// connection, no keep-alive.
class recording_api {
 public:
  recording_api() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0) {
      throw std::runtime_error("recording_api: cannot listen");
    }
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~recording_api() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  int port() const { return port_; }
  std::vector<std::string> heads() {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  void serve() {
    while (!stopping_) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) {
        return;
      }
      std::string request;
      char buffer[4096];
      std::size_t head_end = std::string::npos;
      while (head_end == std::string::npos) {
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) {
          break;
        }
        request.append(buffer, static_cast<std::size_t>(n));
        head_end = request.find("\r\n\r\n");
      }
      {
        std::lock_guard lock(mutex_);
        heads_.push_back(request.substr(0, head_end));
      }
      const std::string body =
          R"({"id":"cs_test_trace","object":"checkout.session","url":"https://checkout.test/cs_test_trace"})";
      const std::string answer =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
          "Connection: close\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      auto ignored = ::write(fd, answer.data(), answer.size());
      (void)ignored;
      ::close(fd);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> heads_;
};

class TraceContext : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    service = std::make_unique<supportd_process>(
        redis.url(), std::vector<std::string>{
                         "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
                         "--stripe-api-base=http://127.0.0.1:" + std::to_string(api.port()),
                         "--allowed-origins=http://shop.test",
                         "--rate-limit-per-minute=0",
                     });
    ASSERT_TRUE(service->wait_ready(10s));
  }

  // Posts a pledge with these extra header lines; its status.
  int pledge(const std::string& extra_headers) {
    const std::string body =
        R"({"amount":"5","currency":"EUR","interval":"month","email":"reader@example.org",)"
        R"("success_url":"http://shop.test/thanks","cancel_url":"http://shop.test/donate"})";
    raw_client client(service->http_port(), false);
    client.send("POST /v1/pledges HTTP/1.1\r\nHost: support.test\r\n" + extra_headers +
                "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body);
    return status(client.read_response(20s));
  }

  // The trace_id of supportd's request log line for POST /v1/pledges (written within 0.1 s).
  std::string logged_trace_id() {
    std::regex pattern(R"re("route":"/v1/pledges".*"trace_id":"([0-9a-f]{32})")re");
    auto line = service->process().wait_for_line(
        [&](const std::string& l) { return std::regex_search(l, pattern); }, 5s);
    std::smatch m;
    return line && std::regex_search(*line, m, pattern) ? m[1].str() : std::string{};
  }

  // The traceparent header of the one request the API received.
  std::string forwarded_traceparent() {
    auto heads = api.heads();
    EXPECT_EQ(heads.size(), 1u);
    std::smatch m;
    std::regex header(R"((?:^|\r\n)traceparent: ([^\r\n]*))", std::regex::icase);
    return heads.size() == 1 && std::regex_search(heads[0], m, header) ? m[1].str() : std::string{};
  }

  temp_dir dir;
  redis_server redis;
  recording_api api;
  std::unique_ptr<supportd_process> service;
};

TEST_F(TraceContext, ACallersTraceIsLoggedAndPassedOnWithANewParentId) {
  ASSERT_EQ(pledge("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"),
            201);
  EXPECT_EQ(logged_trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  auto forwarded = forwarded_traceparent();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(forwarded, m,
                               std::regex("00-4bf92f3577b34da6a3ce929d0e0e4736-([0-9a-f]{16})-01")))
      << forwarded;
  EXPECT_NE(m[1].str(), "00f067aa0ba902b7");  // supportd's own parent id, not the caller's
  EXPECT_NE(m[1].str(), "0000000000000000");
}

TEST_F(TraceContext, AnInvalidTraceparentStartsANewTrace) {
  // Upper-case hex is invalid (the header must be lower case): a new trace, not this one.
  ASSERT_EQ(pledge("traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01\r\n"),
            201);
  auto trace_id = logged_trace_id();
  ASSERT_EQ(trace_id.size(), 32u);
  EXPECT_NE(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(
      std::regex_match(forwarded_traceparent(), std::regex("00-" + trace_id + "-[0-9a-f]{16}-00")));
}

TEST_F(TraceContext, TwoTraceparentLinesStartANewTrace) {
  ASSERT_EQ(pledge("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
                   "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"),
            201);
  auto trace_id = logged_trace_id();
  ASSERT_EQ(trace_id.size(), 32u);
  EXPECT_NE(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(trace_id, "0af7651916cd43dd8448eb211c80319c");
}

TEST_F(TraceContext, WithoutATraceparentOneIsMade) {
  ASSERT_EQ(pledge(""), 201);
  auto trace_id = logged_trace_id();
  ASSERT_EQ(trace_id.size(), 32u);
  EXPECT_TRUE(
      std::regex_match(forwarded_traceparent(), std::regex("00-" + trace_id + "-[0-9a-f]{16}-00")));
}

}  // namespace
}  // namespace supportd::test

// The site's email service as supportd sees it, for end-to-end tests: plain HTTP/1.1 on a free
// port with keep-alive and Content-Length bodies. It keeps every delivery's body and answers each
// with the status a test sets (204 until told otherwise). Each delivery is held to proto/events/
// as it arrives (support/api_contract.hpp).
//
// Thread-safe: one thread accepts, one serves each connection, and tests call in from theirs.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace supportd::test {

class email_service {
 public:
  email_service();
  ~email_service();
  email_service(const email_service&) = delete;
  email_service& operator=(const email_service&) = delete;

  // Where supportd delivers (--notify-url).
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/reminders"; }
  void answer_with(int status) { status_ = status; }

  // The n-th delivery's body (counting from 1), waiting up to `timeout` for it to arrive.
  std::optional<boost::json::object> delivery(std::size_t n, std::chrono::milliseconds timeout);
  std::size_t deliveries();

 private:
  void accept_connections();
  // Answers each request on the connection in turn until the client closes it or the test ends.
  void serve(int fd);

  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> status_{204};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::vector<std::thread> connections_;  // touched by the accepting thread only, until joined
  std::thread acceptor_;
};

}  // namespace supportd::test

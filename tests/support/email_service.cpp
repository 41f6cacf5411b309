#include "support/email_service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <stdexcept>

#include "support/api_contract.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The header fields of a request's head, names lower-cased.
std::map<std::string, std::string> header_fields(const std::string& head) {
  std::map<std::string, std::string> fields;
  for (auto start = head.find("\r\n"); start != std::string::npos;) {
    auto end = head.find("\r\n", start + 2);
    auto line = head.substr(start + 2, end == std::string::npos ? end : end - start - 2);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      fields[lower(line.substr(0, colon))] = value;
    }
    start = end;
  }
  return fields;
}

std::size_t content_length(const std::string& head) {
  auto lowered = lower(head);
  auto at = lowered.find("\r\ncontent-length:");
  return at == std::string::npos ? 0 : std::stoul(lowered.substr(at + 17));
}

std::string status_line(int status) {
  if (status == 204) {
    return "HTTP/1.1 204 No Content\r\n\r\n";
  }
  return "HTTP/1.1 " + std::to_string(status) + " Status\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace

email_service::email_service() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listener_);
    throw std::runtime_error("the email service could not listen");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_connections(); });
}

email_service::~email_service() {
  stopping_ = true;
  acceptor_.join();
  for (auto& connection : connections_) {
    connection.join();
  }
  ::close(listener_);
}

std::optional<boost::json::object> email_service::delivery(std::size_t n,
                                                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (bodies_.size() >= n) {
        return boost::json::parse(bodies_[n - 1]).as_object();
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(20ms);
  }
}

std::size_t email_service::deliveries() {
  std::lock_guard lock(mutex_);
  return bodies_.size();
}

void email_service::accept_connections() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    if (int fd = ::accept(listener_, nullptr, nullptr); fd >= 0) {
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }
}

void email_service::serve(int fd) {
  std::string buffered;
  char chunk[16384];
  while (!stopping_) {
    auto head_end = buffered.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      auto body_start = head_end + 4;
      auto length = content_length(buffered.substr(0, head_end));
      if (buffered.size() >= body_start + length) {
        auto body = buffered.substr(body_start, length);
        expect_documented_delivery(header_fields(buffered.substr(0, head_end)), body);
        {
          std::lock_guard lock(mutex_);
          bodies_.push_back(std::move(body));
        }
        buffered.erase(0, body_start + length);
        auto reply = status_line(status_);
        ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        continue;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      break;
    }
    buffered.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
}

}  // namespace supportd::test

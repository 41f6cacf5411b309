#include "support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "support/api_contract.hpp"

namespace supportd::test {

raw_client::raw_client(int port, bool tls) {
  prepare_api_contract();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (tls) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    if (SSL_connect(ssl_) != 1) {
      SSL_free(ssl_);
      ssl_ = nullptr;
      ::close(fd_);
      fd_ = -1;
    }
  }
}

raw_client::~raw_client() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) {
    SSL_CTX_free(ctx_);
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void raw_client::send(const std::string& bytes) {
  sent_.add(bytes);
  std::size_t sent = 0;
  while (sent < bytes.size() && fd_ >= 0) {
    long n = ssl_ != nullptr
                 ? SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent))
                 : ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    sent += static_cast<std::size_t>(n);
  }
}

long raw_client::read_some(char* buffer, std::size_t size, std::chrono::milliseconds timeout) {
  if (fd_ < 0) {
    return 0;
  }
  if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return -1;  // timeout
    }
  }
  if (ssl_ != nullptr) {
    int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    return n > 0 ? n : 0;
  }
  auto n = ::recv(fd_, buffer, size, 0);
  return n > 0 ? n : 0;
}

std::optional<raw_response> raw_client::read_response(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  char chunk[16384];
  std::size_t header_end;
  while ((header_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
    auto n = read_some(chunk, sizeof chunk, remaining());
    if (n <= 0) {
      return std::nullopt;
    }
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
  raw_response response;
  std::string head = buffered_.substr(0, header_end);
  buffered_.erase(0, header_end + 4);
  auto line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) {
    return std::nullopt;
  }
  response.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string::npos) {
      end = head.size();
    }
    auto line = head.substr(pos, end - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[name] = value;
    }
    pos = end + 2;
  }
  std::size_t length =
      response.headers.count("content-length") ? std::stoul(response.headers["content-length"]) : 0;
  while (buffered_.size() < length) {
    auto n = read_some(chunk, sizeof chunk, remaining());
    if (n <= 0) {
      return std::nullopt;
    }
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
  response.body = buffered_.substr(0, length);
  buffered_.erase(0, length);
  // An interim response (1xx) answers no request on its own; the final one follows it.
  if (response.status >= 200) {
    auto request = sent_.next_answered();
    expect_documented_response(request.method, request.target, response);
  }
  return response;
}

bool raw_client::closed_by_peer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto n = read_some(chunk, sizeof chunk, left);
    if (n == 0) {
      return true;
    }
    if (n < 0) {
      return false;
    }
  }
  return false;
}

std::optional<raw_response> raw_client::get(const std::string& path,
                                            const std::string& extra_headers) {
  send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n");
  return read_response();
}

std::string raw_client::peer_common_name() const {
  if (ssl_ == nullptr) {
    return {};
  }
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) {
    return {};
  }
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name);
  X509_free(cert);
  return name;
}

}  // namespace supportd::test

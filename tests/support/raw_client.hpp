// A blocking HTTP/1.1 client over a raw socket, optionally TLS, that sends exactly the bytes it
// is given: for talking to supportd as a client would, malformed requests included. Every
// response it reads is held to supportd's API description (support/api_contract.hpp) as the
// answer to the request it pairs with, in the order they were sent.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "support/sent_requests.hpp"

namespace supportd::test {

struct raw_response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

// The status of a response, or 0 when there was none (connection closed or timed out).
inline int status(const std::optional<raw_response>& r) {
  return r ? r->status : 0;
}

class raw_client {
 public:
  // Connects to 127.0.0.1:port; with `tls`, completes a handshake (the server's certificate is
  // not verified: tests use throwaway self-signed ones).
  raw_client(int port, bool tls);
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool connected() const { return fd_ >= 0; }
  void send(const std::string& bytes);
  // Reads one response (Content-Length framed); nullopt if the connection closed or timed out.
  // A response the description does not allow is a failure of the running test.
  std::optional<raw_response> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closes the connection within `timeout` (reads reach EOF).
  bool closed_by_peer(std::chrono::milliseconds timeout);
  // "GET <path>" with Host and the given extra header lines, then read the response.
  std::optional<raw_response> get(const std::string& path, const std::string& extra_headers = "");
  // Subject common name of the server's certificate (TLS only).
  std::string peer_common_name() const;

 private:
  long read_some(char* buffer, std::size_t size, std::chrono::milliseconds timeout);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffered_;
  sent_requests sent_;
};

}  // namespace supportd::test

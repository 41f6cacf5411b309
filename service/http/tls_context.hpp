// Server TLS settings (Mozilla "intermediate") and the certificate that SIGHUP reloads.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

namespace supportd::http {

// Loads the PEM chain and key into a context with TLS 1.2/1.3 only and ECDHE with AES-GCM or
// ChaCha20-Poly1305. Throws std::runtime_error naming the file that failed.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file);

// The context new connections use. Thread-safe. Connections keep the context they started with,
// so replacing it never drops one.
class tls_context_store {
 public:
  explicit tls_context_store(std::shared_ptr<boost::asio::ssl::context> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<boost::asio::ssl::context> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(std::shared_ptr<boost::asio::ssl::context> next) {
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace supportd::http

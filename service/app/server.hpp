// The running service: worker threads, listeners, signals and shutdown.
//
// Each worker thread runs its own io_context with its own Redis connection, so a request is
// served start to finish on one thread without locks. Listeners accept on the first worker and
// hand connections to the workers in turn.
#pragma once

#include <memory>

#include "app/feature_settings.hpp"
#include "config/settings.hpp"
#include "http/tls_context.hpp"

namespace supportd::app {

class server {
 public:
  // `tls` is null when HTTPS is off.
  server(config::settings settings, feature_settings features,
         std::shared_ptr<boost::asio::ssl::context> tls);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds, serves until SIGTERM or SIGINT, drains in-flight requests, closes Redis. Returns the
  // process exit status.
  int run();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace supportd::app

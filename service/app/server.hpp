// The running service: worker threads, listeners, signals and shutdown.
//
// Each worker thread runs its own io_context with its own Redis connection, so a request is
// served start to finish on one thread without locks. Listeners accept on the first worker and
// hand connections to the workers in turn.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

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

// One route of supportd's tables. `table` is "public" (the public listeners) or "ops" (the
// --listen-ops listener's, served on the public listeners when there is none; /healthz is in both).
struct served_route {
  std::string_view table;
  std::string_view method;
  std::string_view pattern;
};

// Every route supportd serves, from the tables the workers bind (supportd --print-routes): the
// API description (proto/openapi.yaml) is checked against this list.
std::vector<served_route> served_routes();

}  // namespace supportd::app

// One client connection: reads requests, answers them through the router, keeps the
// connection alive, enforces the limits and the framing rules.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>

#include "core/net.hpp"
#include "http/connection_tracker.hpp"
#include "http/router.hpp"
#include "http/server_metrics.hpp"

namespace supportd::http {

struct session_settings {
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 8 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  server_metrics* metrics = nullptr;
  const std::atomic<bool>* draining = nullptr;
  // The ops listener's sessions (request::ops_listener).
  bool ops_listener = false;
};

// Serve one accepted connection until it closes. Runs on the socket's executor; `tracker` and
// `routes` (whose handlers use that worker's Redis connection) belong to that executor's worker.
// The caller has counted the connection in `settings.metrics->open_connections`; the session takes
// it off when it ends.
awaitable<void> serve_plain(net::ip::tcp::socket socket, const session_settings& settings,
                            connection_tracker& tracker, const router& routes);
awaitable<void> serve_tls(net::ip::tcp::socket socket,
                          std::shared_ptr<net::ssl::context> tls_context,
                          const session_settings& settings, connection_tracker& tracker,
                          const router& routes);

}  // namespace supportd::http

// What the HTTP server reports to Prometheus.
#pragma once

#include "metrics/registry.hpp"

namespace supportd::http {

struct server_metrics {
  metrics::family<metrics::counter>& requests;    // route, method, status
  metrics::family<metrics::histogram>& duration;  // route
  metrics::gauge& in_flight;
  metrics::gauge& open_connections;
  metrics::counter& rejected_connections;
  metrics::counter& tls_handshake_failures;
  metrics::family<metrics::counter>& refused_framing;  // reason

  static server_metrics create(metrics::registry& registry);
};

}  // namespace supportd::http

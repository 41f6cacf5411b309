#include "http/server_metrics.hpp"

namespace supportd::http {

server_metrics server_metrics::create(metrics::registry& r) {
  return {
      r.add_counter("supportd_http_requests_total",
                    "HTTP requests answered, by route pattern, method and status.",
                    {"route", "method", "status"}),
      r.add_histogram("supportd_http_request_duration_seconds",
                      "Time from a complete request header to the response written, by route.",
                      {"route"}, metrics::latency_buckets()),
      r.add_gauge("supportd_http_requests_in_flight", "HTTP requests being handled now.").with({}),
      r.add_gauge("supportd_http_open_connections", "Open client connections (HTTP and HTTPS).")
          .with({}),
      r.add_counter("supportd_http_connections_rejected_total",
                    "Connections closed at once because --max-connections were open.")
          .with({}),
      r.add_counter("supportd_tls_handshake_failures_total",
                    "TLS handshakes that failed or timed out.")
          .with({}),
      r.add_counter("supportd_http_refused_framing_total",
                    "Requests refused as possible request smuggling, by reason.", {"reason"}),
  };
}

}  // namespace supportd::http

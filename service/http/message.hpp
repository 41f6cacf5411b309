// The request a handler sees and the response it returns: plain data, no Beast.
//
// Handlers stay free of Beast and Asio's socket types; the HTTP session translates to and from
// Beast's messages. Views in `request` point into the session's buffers and are valid for the
// duration of the handler call.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/trace_context.hpp"

namespace supportd::http {

struct header {
  std::string_view name;
  std::string_view value;
};

struct request {
  std::string_view method;
  std::string_view target;  // path and query as sent
  std::string_view path;    // target without the query
  std::string_view query;   // after '?', without it
  std::span<const header> headers;
  // `{name}` segments of the matched route pattern.
  std::vector<std::pair<std::string_view, std::string_view>> path_params;
  std::string_view body;
  std::string_view request_id;
  // The request's W3C trace: its caller's, or one started here.
  trace_context trace;
  std::string_view client_address;
  bool secure = false;  // arrived over TLS
  // Arrived on the ops listener (--listen-ops), where no proxy stands in front: the peer address
  // is the client's, whatever headers say.
  bool ops_listener = false;

  // First value of the header `name` (case-insensitive), or empty.
  std::string_view header_value(std::string_view name) const;
  // The token of `Authorization: Bearer <token>`, or empty.
  std::string_view bearer_token() const;
  std::string_view path_param(std::string_view name) const;
  // The Content-Type's media type is `type` (parameters such as charset aside).
  bool has_media_type(std::string_view type) const;
  // The first value of `name` in the query string, decoded; empty when absent.
  std::string query_param(std::string_view name) const;
};

struct response {
  int status = 200;
  // Points to a string literal (or other storage that outlives the response).
  std::string_view content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the connection is closed after this response.
  bool close = false;

  static response json(int status, std::string body) {
    response r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static response of_type(int status, std::string_view content_type, std::string body) {
    response r = json(status, std::move(body));
    r.content_type = content_type;
    return r;
  }

  // 303 See Other: where a browser's form post goes next.
  static response see_other(std::string location) {
    response r;
    r.status = 303;
    r.content_type = "text/plain";
    r.with_header("Location", std::move(location));
    return r;
  }

  response& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace supportd::http

#include "http/response_head.hpp"

#include <charconv>

namespace supportd::http {
namespace {

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// CR and LF never reach the wire from a name or value: a value built from input must not be
// able to end the header and start another (response splitting).
void append_clean(std::string& out, std::string_view text) {
  for (char c : text) {
    out += (c == '\r' || c == '\n') ? ' ' : c;
  }
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  append_clean(out, name);
  out += ": ";
  append_clean(out, value);
  out += "\r\n";
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

void append_response_head(std::string& out, const response& res, const response_framing& framing) {
  out += framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, static_cast<std::size_t>(res.status));
  out += ' ';
  out += reason_phrase(res.status);
  out += "\r\n";
  append_field(out, "Server", "supportd");
  append_field(out, "Content-Type", res.content_type);
  out += "Content-Length: ";
  append_number(out, res.body.size());
  out += "\r\n";
  append_field(out, "X-Request-Id", framing.request_id);
  append_field(out, "X-Content-Type-Options", "nosniff");
  if (framing.secure) {
    append_field(out, "Strict-Transport-Security", "max-age=63072000");
  }
  for (const auto& [name, value] : res.headers) {
    append_field(out, name, value);
  }
  // HTTP/1.1 keeps alive unless told; HTTP/1.0 closes unless told.
  if (!framing.keep_alive) {
    append_field(out, "Connection", "close");
  } else if (framing.version == 10) {
    append_field(out, "Connection", "keep-alive");
  }
  out += "\r\n";
}

}  // namespace supportd::http

#include "http/html_page.hpp"

#include <string>

namespace supportd::http {

response html_page(int status, std::string_view title, std::string_view body_html) {
  std::string page =
      "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>";
  page += title;
  page += "</title><body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto\"><h1>";
  page += title;
  page += "</h1>";
  page += body_html;
  page += "</body></html>";
  auto r = response::of_type(status, "text/html; charset=utf-8", std::move(page));
  r.with_header("Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  r.with_header("Cache-Control", "no-store");
  return r;
}

std::string html_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace supportd::http

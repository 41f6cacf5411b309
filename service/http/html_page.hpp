// Small HTML pages for readers who follow a link from an email (cancel, unsubscribe): plain,
// readable on a phone, no scripts, and never cached.
#pragma once

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace supportd::http {

// `body_html` is trusted markup: callers escape anything that came from a request.
response html_page(int status, std::string_view title, std::string_view body_html);

// `text` fit for an element's content or a quoted attribute value: &, <, >, " and ' become
// character references (HTML's named ones for the first four, a numeric one for the apostrophe).
std::string html_escaped(std::string_view text);

}  // namespace supportd::http

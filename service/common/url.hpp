// What supportd asks of the URLs in its settings and forms (RFC 3986, through Boost.URL).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supportd::common {

// "https://news.example:8443" (lower case) for an http(s) URL with a host and no user info,
// nullopt for anything else. The origin of RFC 6454 as browsers send it.
std::optional<std::string> origin_of(std::string_view url);

// False for a plain http:// URL to anywhere but this machine (127.0.0.0/8, ::1, localhost): a
// bearer key or a reader's address must not cross a network in clear. True for https and for
// text that is no URL at all (refused by its own check).
bool plain_http_allowed(std::string_view url);

}  // namespace supportd::common

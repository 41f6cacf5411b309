// What supportd asks of the URLs in its settings and forms (RFC 3986, through Boost.URL).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace supportd::common {

// The longest host name DNS allows, as written (RFC 1035): also the most TLS's SNI can carry.
inline constexpr std::size_t max_host_name = 253;

// "https://news.example:8443" (lower case) for an http(s) URL with a host of at most
// max_host_name characters and no user info, nullopt for anything else. The origin of RFC 6454
// as browsers send it.
std::optional<std::string> origin_of(std::string_view url);

// False for a plain http:// URL to anywhere but this machine (127.0.0.0/8, ::1, localhost): a
// bearer key or a reader's address must not cross a network in clear. True for https and for
// text that is no URL at all (refused by its own check).
bool plain_http_allowed(std::string_view url);

// A link into supportd for an email or a page: `base` (supportd's public URL; a trailing '/' is
// dropped) + `path` (literal, from code) + `?name=value&…`, each value percent-encoded (all but
// RFC 3986's unreserved characters). Put together as text: a delivery builds two of these.
std::string service_link(
    std::string_view base, std::string_view path,
    std::initializer_list<std::pair<std::string_view, std::string_view>> query);

// `url` (the site's give page, from settings) with each query parameter set to its value,
// replacing one of that name it had and keeping its other parameters and its fragment; a value
// that is empty leaves its parameter as it was. `url` itself when it is no URL reference.
std::string with_query(std::string_view url,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> query);

// The value of the query parameter `name` in `url` (percent-decoded; the first if repeated), or
// nullopt when the URL has none or is no URL.
std::optional<std::string> query_value(std::string_view url, std::string_view name);

// Appends `value` percent-encoded as above.
void append_query_value(std::string& out, std::string_view value);

}  // namespace supportd::common

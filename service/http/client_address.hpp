// Who is asking: the peer address, or, behind trusted proxies, what the proxies say.
#pragma once

#include <string_view>

#include "http/message.hpp"

namespace supportd::http {

// With `trusted_header` set (e.g. X-Forwarded-For), an address the trusted proxies wrote, which
// a client cannot forge. Every field line of the header counts, as one comma-separated list in
// order (RFC 9110 section 5.3): each proxy appends the address it saw, so the last entry is the
// nearest proxy's and the client's own lines come first. With `trusted_hops` proxies in front,
// the address is the entry `trusted_hops` from the right end (1: the last one). Without the
// header, or with fewer entries than hops, or an entry that is not an address's length: the
// peer address.
std::string_view client_address(const request& req, std::string_view trusted_header,
                                unsigned trusted_hops = 1);

}  // namespace supportd::http

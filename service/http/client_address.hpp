// Who is asking: the peer address, or, behind a trusted proxy, what the proxy says.
#pragma once

#include <string_view>

#include "http/message.hpp"

namespace supportd::http {

// With `trusted_header` set (e.g. X-Forwarded-For), the last address in it: the one the trusted
// proxy added, which a client cannot forge. Without it, or when absent, the peer address.
std::string_view client_address(const request& req, std::string_view trusted_header);

}  // namespace supportd::http

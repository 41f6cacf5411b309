// Who may call /admin/*: the holder of the admin token, sent as `Authorization: Bearer`,
// compared in constant time. Without --admin-token-file the admin API is off.
#pragma once

#include <optional>

#include "http/message.hpp"

namespace supportd::config {
struct settings;
}

namespace supportd::ops {

// nullopt when the caller is the admin; otherwise the answer to send (503 off, 401).
std::optional<http::response> refuse_unless_admin(const http::request& req,
                                                  const config::settings& s);

}  // namespace supportd::ops

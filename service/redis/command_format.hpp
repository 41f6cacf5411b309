// Commands in RESP, the protocol's request form, written straight into a buffer.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace supportd::redis {

// Appends `args` as one command: `*<count>\r\n` then `$<length>\r\n<bytes>\r\n` for each.
// hiredis formats through printf-style helpers; this is the same bytes at a fraction of the
// cost, which shows on paths with a Redis command or two per request.
void append_command(std::string& out, std::span<const std::string_view> args);

}  // namespace supportd::redis

// Redis glob patterns (SCAN MATCH, KEYS): literal text that may hold pattern characters.
#pragma once

#include <string>
#include <string_view>

namespace supportd::redis {

// `text` with *, ?, [, ] and \ escaped, so it matches only itself.
std::string glob_escaped(std::string_view text);

}  // namespace supportd::redis

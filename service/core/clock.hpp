// The wall clock, read in one place, and its one text form (RFC 3339, UTC).
#pragma once

#include <cstdint>
#include <string>

namespace supportd::core {

std::int64_t now_unix_ms();
std::int64_t now_unix_seconds();

// "2027-01-05T09:00:00Z" (RFC 3339 §5.6, UTC, whole seconds).
std::string format_rfc3339(std::int64_t unix_seconds);

}  // namespace supportd::core

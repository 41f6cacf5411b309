// Durations in settings: "250ms", "10s", "5m", "1h", "30d", or a bare number of seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace supportd::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace supportd::config

#include "config/duration.hpp"

#include <charconv>

namespace supportd::config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data() || value < 0) {
    return std::nullopt;
  }
  std::string_view unit(end, text.data() + text.size() - end);
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else if (unit == "d") {
    scale = 86'400'000;
  } else {
    return std::nullopt;
  }
  // A year is far beyond any timeout we take; refusing more also rules out overflow.
  constexpr std::int64_t max_ms = 365LL * 24 * 3'600'000;
  if (value > max_ms / scale) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(value * scale);
}

}  // namespace supportd::config

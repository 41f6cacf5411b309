// How often a gift repeats: once, every month, every year. Pledges keep it; payment providers
// bill by it.
#pragma once

#include <optional>
#include <string_view>

namespace supportd::common {

enum class interval { once, month, year };

std::string_view to_string(interval i);
std::optional<interval> parse_interval(std::string_view text);

}  // namespace supportd::common

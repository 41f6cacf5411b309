// A pledge: a reader's promise to give an amount once, monthly or yearly, and the states it goes
// through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supportd::pledges {

enum class interval { once, month, year };

std::string_view to_string(interval i);
std::optional<interval> parse_interval(std::string_view text);

// Where the pledge came from, for the site's own reporting. No personal data.
struct attribution {
  std::string campaign;
  std::string component;  // banner, epic, thank-you, …
  std::string page_url;
  std::string referrer;
  std::string country;  // from the trusted proxy's header, when configured
};

}  // namespace supportd::pledges

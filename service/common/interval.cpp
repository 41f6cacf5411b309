#include "common/interval.hpp"

namespace supportd::common {

std::string_view to_string(interval i) {
  switch (i) {
    case interval::once:
      return "once";
    case interval::month:
      return "month";
    case interval::year:
      return "year";
  }
  return "once";
}

std::optional<interval> parse_interval(std::string_view text) {
  for (auto i : {interval::once, interval::month, interval::year}) {
    if (text == to_string(i)) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace supportd::common

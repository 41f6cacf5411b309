// What `GET /admin/report` asks for: the days, the grouping and the format. Pure: the handler
// hands it the query string's values and the Accept header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/problem.hpp"

namespace supportd::reports {

// What rows can be grouped by: the report_group's members.
enum class report_dimension { campaign, component, variant, currency, interval };

std::string_view to_string(report_dimension d);

struct report_query {
  std::int64_t from_day = 0;  // days since 1970-01-01, both ends included
  std::int64_t to_day = 0;
  std::vector<report_dimension> by;  // in the order asked; none: one row of totals
  bool csv = false;
};

// The most days one report covers: the counters are kept 400 days (report_counter.hpp).
inline constexpr std::int64_t max_report_days = 400;

struct report_query_text {
  std::string from;    // YYYY-MM-DD
  std::string to;      // YYYY-MM-DD
  std::string by;      // comma-separated dimensions; may be empty
  std::string format;  // "json", "csv" or empty (then the Accept header decides)
  std::string accept;  // the Accept header
};

// The query, or the problem to answer: 400 for a missing or malformed value, 422 when `to` is
// before `from` or the range is longer than 400 days.
std::variant<report_query, http::problem> parse_report_query(const report_query_text& text);

}  // namespace supportd::reports

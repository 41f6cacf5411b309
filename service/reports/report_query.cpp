#include "reports/report_query.hpp"

#include <algorithm>
#include <array>

#include "reports/report_counter.hpp"

namespace supportd::reports {
namespace {

constexpr std::array<std::string_view, 5> dimension_names = {"campaign", "component", "variant",
                                                             "currency", "interval"};

http::problem invalid_query(std::string detail) {
  return {400, "invalid_report_query", "Bad Request", std::move(detail), {}};
}

// Whether the Accept header asks for CSV before JSON: its first media range that names either.
// (Quality values aside: an admin's tool sends one type.)
bool accepts_csv_first(std::string_view accept) {
  auto csv = accept.find("text/csv");
  auto json = accept.find("application/json");
  return csv != std::string_view::npos && (json == std::string_view::npos || csv < json);
}

}  // namespace

std::string_view to_string(report_dimension d) {
  return dimension_names[static_cast<std::size_t>(d)];
}

std::variant<report_query, http::problem> parse_report_query(const report_query_text& text) {
  report_query q;
  struct date_param {
    const std::string* value;
    std::string_view name;
    std::int64_t* day;
  };
  for (auto [value, name, day] :
       {date_param{&text.from, "from", &q.from_day}, date_param{&text.to, "to", &q.to_day}}) {
    if (value->empty()) {
      return invalid_query(std::string(name) + " is required: a UTC date such as 2027-01-05.");
    }
    auto parsed = parse_day(*value);
    if (!parsed) {
      return invalid_query(std::string(name) + " must be a date as YYYY-MM-DD.");
    }
    *day = *parsed;
  }
  // Every name between commas must be one: "campaign," is refused, not read as "campaign".
  std::string_view by = text.by;
  for (bool more = !by.empty(); more;) {
    auto comma = by.find(',');
    auto name = by.substr(0, comma);
    more = comma != std::string_view::npos;
    by = more ? by.substr(comma + 1) : std::string_view();
    auto known = std::find(dimension_names.begin(), dimension_names.end(), name);
    if (known == dimension_names.end()) {
      return invalid_query(
          "by lists what rows are grouped by, from campaign, component, "
          "variant, currency and interval, separated by commas.");
    }
    auto d = static_cast<report_dimension>(known - dimension_names.begin());
    if (std::find(q.by.begin(), q.by.end(), d) != q.by.end()) {
      return invalid_query("by names " + std::string(name) + " twice.");
    }
    q.by.push_back(d);
  }
  if (text.format == "csv") {
    q.csv = true;
  } else if (text.format.empty()) {
    q.csv = accepts_csv_first(text.accept);
  } else if (text.format != "json") {
    return invalid_query("format must be json or csv.");
  }
  if (q.to_day < q.from_day) {
    return http::problem{
        422, "invalid_report_range", "Unprocessable Content", "to is before from.", {}};
  }
  if (q.to_day - q.from_day + 1 > max_report_days) {
    return http::problem{422,
                         "report_range_too_long",
                         "Unprocessable Content",
                         "A report covers at most " + std::to_string(max_report_days) +
                             " days (the counts are kept that long); this one asks for " +
                             std::to_string(q.to_day - q.from_day + 1) + ".",
                         {}};
  }
  return q;
}

}  // namespace supportd::reports

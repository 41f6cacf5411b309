// The report's rows: the counters of the days asked for, added up per group of the query's
// `by`, and written as JSON or CSV. Pure: report_store reads the days, this adds them up.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reports/report_counter.hpp"
#include "reports/report_query.hpp"

namespace supportd::reports {

struct report_row {
  std::vector<std::string> key;  // the values of the query's `by`, in its order
  // Every counter but first_payment_minor, by report_counter (that one stays 0: money is only
  // added up within a currency, so it is kept below per currency).
  std::array<std::int64_t, all_counters.size()> counts{};
  std::map<std::string, std::int64_t, std::less<>> first_payment_minor;  // currency -> amount

  std::int64_t operator[](report_counter c) const { return counts[static_cast<std::size_t>(c)]; }
};

class report_table {
 public:
  explicit report_table(std::vector<report_dimension> by);

  // Adds one field of a day's hash with its value; a field that names no counter is skipped
  // (and counted in skipped()).
  void add(std::string_view field, std::int64_t value);

  // The rows, ordered by their key. With no `by`, one row of totals (zeros if nothing happened).
  std::vector<report_row> rows() const;
  std::int64_t skipped() const { return skipped_; }

 private:
  std::vector<report_dimension> by_;
  std::map<std::vector<std::string>, report_row> rows_;
  std::int64_t skipped_ = 0;
};

// {"from", "to", "by", "currencies", "rows": [{<by values>, <counters>, "first_payment_minor":
// {currency: amount}, "checkout_conversion", "reminder_conversion"}]}. A conversion is a ratio
// with four decimals, null when nothing was there to convert (no pledge created, no reminder
// delivered).
std::string to_json(const report_query& q, const std::vector<report_row>& rows);

// RFC 4180 CSV, header row first: the `by` columns, the counters, first_payment_minor_<currency>
// for each currency in the report (in place of first_payment_minor), then the conversions
// (empty where JSON has null). Lines end in CRLF.
std::string to_csv(const report_query& q, const std::vector<report_row>& rows);

}  // namespace supportd::reports

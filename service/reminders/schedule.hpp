// When a "remind me later" fires: the reader's `remind_in` (ISO 8601 duration), `remind_at`
// (RFC 3339 instant, or a date delivered at a set local hour) or `every_months`, turned into
// Unix seconds; and when a failed reminder webhook is tried again.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reminders/time_zone.hpp"

namespace supportd::reminders {

// "P1Y2M3W4DT5H6M7S" and any subset, in that order: weeks are folded into days and hours and
// minutes into seconds; years, months and days stay apart because their length depends on
// when they start.
struct iso_duration {
  int years = 0;
  int months = 0;
  int days = 0;
  std::int64_t seconds = 0;
  friend bool operator==(const iso_duration&, const iso_duration&) = default;
};

// Whole, non-negative numbers only, at least one component, and each component at most about
// a thousand years' worth, so nothing downstream overflows. Designators are upper case.
std::optional<iso_duration> parse_iso_duration(std::string_view text);

// Calendar arithmetic in UTC: years and months first, keeping the day of the month but no
// later than that month's last (2027-01-31 + P1M = 2027-02-28), then days, then seconds.
std::int64_t add_duration(std::int64_t unix_seconds, const iso_duration& duration);

// "2027-01-05T09:00:00Z", "2027-01-05t10:00:00.250+01:00": 'T' or 't', 'Z', 'z' or +hh:mm /
// -hh:mm; a fraction of a second is dropped. Impossible dates and times (2027-02-30, 24:00,
// the leap second :60, which Unix time cannot name) are refused.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// "2027-01-05": a real date, four-digit year.
std::optional<civil_date> parse_date(std::string_view text);

// The instant `hour`:00 local time on `date` in `zone` (see time_zone::to_utc for the hour
// skipped or repeated by a DST change).
std::int64_t at_local_hour(const civil_date& date, int hour, const time_zone& zone);

// The same wall-clock time `months` months later in `zone`, the day clamped to the month's
// last: a reminder every month at 09:00 stays at 09:00 through DST changes.
std::int64_t add_months_local(std::int64_t unix_seconds, int months, const time_zone& zone);

}  // namespace supportd::reminders

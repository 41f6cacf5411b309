// IANA time zones read from the system's compiled tz database (TZif files, RFC 8536), so that a
// reminder for "9:00 in Europe/London" lands at the right instant. g++ 12's libstdc++ has no
// std::chrono::tzdb, hence our own reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supportd::reminders {

// A date on the proleptic Gregorian calendar, with no time zone attached.
struct civil_date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  friend bool operator==(const civil_date&, const civil_date&) = default;
};

// What a wall clock shows: a date and a time of day, with no time zone attached.
struct civil_time {
  civil_date date;
  int hour = 0;
  int minute = 0;
  int second = 0;
  friend bool operator==(const civil_time&, const civil_time&) = default;
};

// Days since 1970-01-01 and back. Months and days outside their ranges carry over
// (2027-13-01 is 2028-01-01, 2027-02-30 is 2027-03-02), like timegm().
std::int64_t days_from_civil(const civil_date& date);
civil_date civil_from_days(std::int64_t days);

// Unix seconds for a civil time read as UTC, and the UTC civil time of an instant.
std::int64_t seconds_from_civil(const civil_time& time);
civil_time civil_from_seconds(std::int64_t unix_seconds);

// One zone's rules. Immutable once loaded, so one instance is safely shared between threads.
class time_zone {
 public:
  // Reads `root`/`name`. nullptr when the name is unsafe (see valid_name), the file is missing,
  // or it is not a TZif file we understand (including the "right/" zones, which count leap
  // seconds: our instants are Unix time, which does not).
  static std::shared_ptr<const time_zone> load(
      std::string_view name, const std::filesystem::path& root = "/usr/share/zoneinfo");

  // load() from the default root, remembered for the life of the process. Thread-safe. Only
  // zones that exist are remembered, so unknown names from readers cannot grow the cache.
  static std::shared_ptr<const time_zone> find(std::string_view name);

  // Names we are willing to open: 1 to 64 characters, segments of [A-Za-z0-9_+-] joined by
  // single '/'. That rules out "..", absolute paths and anything else a reader could use to
  // make us read a file outside the zone database.
  static bool valid_name(std::string_view name);

  const std::string& name() const { return name_; }

  // The UTC offset, in seconds east of Greenwich, in effect at that instant.
  std::int32_t offset_at(std::int64_t unix_seconds) const;

  // The instant at which wall clocks in this zone show `local`. Two cases have no single
  // answer, and reminders want one:
  //  - a time skipped when clocks go forward moves forward by the length of the gap
  //    (2026-03-08 02:30 in America/New_York is 03:30 EDT), so the reminder still comes soon
  //    after the time asked for;
  //  - a time that happens twice when clocks go back resolves to the earlier of the two
  //    (2026-11-01 01:30 in America/New_York is 01:30 EDT, not EST).
  std::int64_t to_utc(const civil_time& local) const;

  // The rule a POSIX TZ string describes ("EST5EDT,M3.2.0,M11.1.0"): what a TZif footer
  // holds for instants after the file's last transition. With its own name it is a zone too.
  struct posix_rule {
    std::int32_t std_offset = 0;  // seconds east of Greenwich
    std::optional<std::int32_t> dst_offset;
    // When daylight saving time starts and ends, as local wall-clock times of each year.
    struct change {
      enum class kind { julian_no_leap, zero_based_day, month_week_day };
      kind form = kind::month_week_day;
      int day = 0;  // Jn: 1..365; n: 0..365; M: day of week, 0 = Sunday
      int month = 0;
      int week = 0;  // 1..5, 5 = the last one in the month
      std::int32_t time = 2 * 3600;
    };
    change start;
    change end;
  };
  static std::optional<posix_rule> parse_posix_rule(std::string_view text);
  static std::int32_t offset_under(const posix_rule& rule, std::int64_t unix_seconds);

 private:
  time_zone() = default;

  std::string name_;
  std::vector<std::int64_t> transitions_;  // ascending Unix seconds
  std::vector<std::uint8_t> transition_types_;
  std::vector<std::int32_t> type_offsets_;  // type 0 also holds before the first transition
  std::optional<posix_rule> footer_;
};

}  // namespace supportd::reminders

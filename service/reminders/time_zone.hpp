// IANA time zones, so that a reminder for "9:00 in Europe/London" lands at the right instant.
// g++ 12's libstdc++ has no std::chrono::tzdb yet; Howard Hinnant's date library, which it was
// standardised from, reads the system's database instead (Debian's libhowardhinnant-date-dev,
// built with USE_OS_TZDB: /usr/share/zoneinfo, as kept current by the tzdata package).
//
// One limit comes with it. Debian's compiled files list each zone's changes of offset up to
// 2037 and leave the years after to a rule at the end of the file (RFC 8536 section 3.3), which
// date 3.0.1 does not read: from a zone's last listed change on, its offset stays the one that
// change set (London stays on GMT after 2037-10-25, Sydney on daylight time after 2037-10-04).
// Reminders are due within two years, so this is wrong only for reminders set from 2036 on;
// Debian 13's libstdc++ (std::chrono::tzdb) reads the rules whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

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

// One zone's rules. Immutable once found, so one instance is safely shared between threads.
class time_zone {
 public:
  // The zone of that name in the system's database, or nullptr: for names valid_name refuses,
  // names the database does not list (matching is exact, case included; the "right/" zones,
  // which count leap seconds, and "posix/" copies are not listed), and files it cannot read.
  // Found zones are remembered for the life of the process, so each caller gets the same
  // instance; unknown names from readers are not, so they cannot grow the cache. Thread-safe.
  static std::shared_ptr<const time_zone> find(std::string_view name);

  // Names we are willing to look up: 1 to 64 characters, segments of [A-Za-z0-9_+-] joined by
  // single '/'. The database only opens names it lists, but nothing a reader sends that could
  // name a path outside it ("..", absolute paths) gets that far.
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

 private:
  time_zone(std::string name, const date::time_zone& zone);

  std::string name_;
  const date::time_zone* zone_;  // the database's, which lives as long as the process
};

}  // namespace supportd::reminders

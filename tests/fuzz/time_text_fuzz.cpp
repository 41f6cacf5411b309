// Times as text, as readers and settings write them: RFC 3339 instants, ISO 8601 durations and
// dates (remind_at, remind_in), settings durations ("250ms", "5m") and zone names. The whole
// input goes to each parser.
// Invariants: an instant formats and parses back to itself; a duration never moves a time
// backwards; a date survives the day-number round trip; a settings duration is between zero and a
// year; an accepted zone name cannot leave the zone database.
#include <array>
#include <chrono>

#include "config/duration.hpp"
#include "core/clock.hpp"
#include "fuzz_check.hpp"
#include "reminders/schedule.hpp"
#include "reminders/time_zone.hpp"

namespace {

using namespace supportd;
using namespace supportd::reminders;
using fuzz::expect;

// 1900-01-01, 1970-01-01, 2023-11-14, 2038-01-19 (past int32), 9999-12-31.
constexpr std::array<std::int64_t, 5> instants = {-2208988800, 0, 1700000000, 2147483648,
                                                  253402300799};

// The instants RFC 3339's four-digit years can write in UTC: 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z. An offset can take a valid text just outside them ("0000-01-01T00:05:02
// +01:00" is in year -1), which core::format_rfc3339 then writes with a sign or a fifth digit.
constexpr std::int64_t first_utc = -62167219200, last_utc = 253402300799;

void check_rfc3339(std::string_view text) {
  auto t = parse_rfc3339(text);
  if (!t) {
    return;
  }
  expect(*t > first_utc - 86400 && *t < last_utc + 86400,
         "an offset moves an instant less than a day past RFC 3339's years");
  if (*t >= first_utc && *t <= last_utc) {
    expect(parse_rfc3339(core::format_rfc3339(*t)) == t,
           "an instant formats and parses back to itself");
  }
  auto civil = civil_from_seconds(*t);
  expect(seconds_from_civil(civil) == *t, "an instant survives the civil time round trip");
}

void check_iso_duration(std::string_view text) {
  auto d = parse_iso_duration(text);
  if (!d) {
    return;
  }
  expect(d->years >= 0 && d->months >= 0 && d->days >= 0 && d->seconds >= 0,
         "durations are never negative");
  for (auto t : instants) {
    expect(add_duration(t, *d) >= t, "a duration never moves a time backwards");
  }
}

void check_date(std::string_view text) {
  auto date = parse_date(text);
  if (!date) {
    return;
  }
  expect(date->month >= 1 && date->month <= 12 && date->day >= 1 && date->day <= 31,
         "a date's month and day are in range");
  expect(civil_from_days(days_from_civil(*date)) == *date, "a real date survives the round trip");
  if (auto zone = time_zone::find("America/New_York")) {
    auto at = at_local_hour(*date, 9, *zone);
    auto local = civil_from_seconds(at + zone->offset_at(at));
    expect(local.date == *date && (local.hour == 9 || local.hour == 10),
           "09:00 local is on that date, an hour later if it falls in a DST gap");
  }
}

void check_settings_duration(std::string_view text) {
  if (auto d = config::parse_duration(text)) {
    expect(d->count() >= 0 && *d <= std::chrono::hours(24 * 365),
           "a settings duration is between zero and a year");
  }
}

void check_zone_name(std::string_view text) {
  if (!time_zone::valid_name(text)) {
    return;
  }
  expect(!text.empty() && text.size() <= 64 && text.front() != '/' && text.back() != '/' &&
             text.find("..") == std::string_view::npos && text.find("//") == std::string_view::npos,
         "an accepted zone name stays inside the zone database");
  time_zone::find(text);  // only zones that exist are cached, so this cannot grow without bound
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::as_text(data, size);
  check_rfc3339(text);
  check_iso_duration(text);
  check_date(text);
  check_settings_duration(text);
  check_zone_name(text);
  return 0;
}

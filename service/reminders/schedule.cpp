#include "reminders/schedule.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace supportd::reminders {

namespace {

constexpr std::int64_t seconds_per_day = 86'400;

// Exactly `count` digits, consumed; nullopt (and nothing consumed) otherwise.
std::optional<int> read_digits(std::string_view& text, std::size_t count) {
  if (text.size() < count) {
    return std::nullopt;
  }
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  text.remove_prefix(count);
  return value;
}

bool read_char(std::string_view& text, char expected) {
  if (text.empty() || text.front() != expected) {
    return false;
  }
  text.remove_prefix(1);
  return true;
}

bool valid_date(int year, int month, int day) {
  return std::chrono::year_month_day(std::chrono::year(year), std::chrono::month(month),
                                     std::chrono::day(day))
      .ok();
}

// "YYYY-MM-DD", consumed.
std::optional<civil_date> read_date(std::string_view& text) {
  auto year = read_digits(text, 4);
  if (!year || !read_char(text, '-')) {
    return std::nullopt;
  }
  auto month = read_digits(text, 2);
  if (!month || !read_char(text, '-')) {
    return std::nullopt;
  }
  auto day = read_digits(text, 2);
  if (!day || !valid_date(*year, *month, *day)) {
    return std::nullopt;
  }
  return civil_date{*year, *month, *day};
}

// The date `months` after `date`'s month, on the same day or that month's last if shorter.
civil_date add_months_clamped(const civil_date& date, std::int64_t months) {
  auto total = std::int64_t{date.year} * 12 + (date.month - 1) + months;
  auto year = total / 12 - (total % 12 < 0 ? 1 : 0);
  auto month = static_cast<int>(total - year * 12 + 1);
  auto last = std::chrono::year_month_day_last(
      std::chrono::year(static_cast<int>(year)),
      std::chrono::month_day_last(std::chrono::month(static_cast<unsigned>(month))));
  return {static_cast<int>(year), month,
          std::min(date.day, static_cast<int>(unsigned(last.day())))};
}

}  // namespace

std::optional<iso_duration> parse_iso_duration(std::string_view text) {
  if (!read_char(text, 'P')) {
    return std::nullopt;
  }
  // Each designator in the order ISO 8601 writes them, with the most of it we take: about a
  // thousand years each, which keeps every sum below far from overflowing.
  struct unit {
    char designator;
    bool after_t;
    std::int64_t max;
  };
  static constexpr std::array<unit, 7> units = {{{'Y', false, 1'000},
                                                 {'M', false, 12'000},
                                                 {'W', false, 52'200},
                                                 {'D', false, 366'000},
                                                 {'H', true, 8'784'000},
                                                 {'M', true, 527'040'000},
                                                 {'S', true, 31'622'400'000}}};
  std::array<std::int64_t, units.size()> values{};
  std::size_t next_unit = 0;
  bool in_time = false;
  bool time_has_component = false;
  bool any_component = false;
  while (!text.empty()) {
    if (text.front() == 'T') {
      if (in_time) {
        return std::nullopt;
      }
      in_time = true;
      text.remove_prefix(1);
      continue;
    }
    std::int64_t value = 0;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      value = value * 10 + (text[digits] - '0');
      if (value > units.back().max) {
        return std::nullopt;  // larger than any cap, and before it could overflow
      }
      ++digits;
    }
    if (digits == 0 || digits == text.size()) {
      return std::nullopt;  // a sign, fraction or stray letter; or a number with no designator
    }
    char designator = text[digits];
    text.remove_prefix(digits + 1);
    while (next_unit < units.size() &&
           (units[next_unit].designator != designator || units[next_unit].after_t != in_time)) {
      ++next_unit;
    }
    if (next_unit == units.size() || value > units[next_unit].max) {
      return std::nullopt;
    }
    values[next_unit++] = value;
    any_component = true;
    time_has_component = in_time;
  }
  if (!any_component || (in_time && !time_has_component)) {
    return std::nullopt;  // "P", "PT", "P1DT"
  }
  iso_duration out;
  out.years = static_cast<int>(values[0]);
  out.months = static_cast<int>(values[1]);
  out.days = static_cast<int>(values[2] * 7 + values[3]);
  out.seconds = values[4] * 3600 + values[5] * 60 + values[6];
  return out;
}

std::int64_t add_duration(std::int64_t unix_seconds, const iso_duration& duration) {
  auto days = unix_seconds / seconds_per_day - (unix_seconds % seconds_per_day < 0 ? 1 : 0);
  auto time_of_day = unix_seconds - days * seconds_per_day;
  auto date = add_months_clamped(civil_from_days(days),
                                 std::int64_t{duration.years} * 12 + duration.months);
  return (days_from_civil(date) + duration.days) * seconds_per_day + time_of_day + duration.seconds;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  auto date = read_date(text);
  if (!date || text.empty() || (text.front() != 'T' && text.front() != 't')) {
    return std::nullopt;
  }
  text.remove_prefix(1);
  auto hour = read_digits(text, 2);
  if (!hour || *hour > 23 || !read_char(text, ':')) {
    return std::nullopt;
  }
  auto minute = read_digits(text, 2);
  if (!minute || *minute > 59 || !read_char(text, ':')) {
    return std::nullopt;
  }
  auto second = read_digits(text, 2);
  if (!second || *second > 59) {
    return std::nullopt;
  }
  if (read_char(text, '.')) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      ++digits;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    text.remove_prefix(digits);
  }
  std::int64_t offset = 0;
  if (text == "Z" || text == "z") {
    text.remove_prefix(1);
  } else if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    int sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
    auto offset_hours = read_digits(text, 2);
    if (!offset_hours || *offset_hours > 23 || !read_char(text, ':')) {
      return std::nullopt;
    }
    auto offset_minutes = read_digits(text, 2);
    if (!offset_minutes || *offset_minutes > 59) {
      return std::nullopt;
    }
    offset = sign * (std::int64_t{*offset_hours} * 3600 + std::int64_t{*offset_minutes} * 60);
  } else {
    return std::nullopt;  // RFC 3339 requires an offset: a bare local time is ambiguous
  }
  if (!text.empty()) {
    return std::nullopt;
  }
  return seconds_from_civil({*date, *hour, *minute, *second}) - offset;
}

std::optional<civil_date> parse_date(std::string_view text) {
  auto date = read_date(text);
  if (!date || !text.empty()) {
    return std::nullopt;
  }
  return date;
}

std::int64_t at_local_hour(const civil_date& date, int hour, const time_zone& zone) {
  return zone.to_utc({date, hour, 0, 0});
}

std::int64_t add_months_local(std::int64_t unix_seconds, int months, const time_zone& zone) {
  auto local = civil_from_seconds(unix_seconds + zone.offset_at(unix_seconds));
  local.date = add_months_clamped(local.date, months);
  return zone.to_utc(local);
}

}  // namespace supportd::reminders

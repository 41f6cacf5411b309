#include "reminders/time_zone.hpp"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <mutex>
#include <unordered_map>

namespace supportd::reminders {

namespace {

constexpr std::int64_t seconds_per_day = 86'400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

date::sys_seconds sys_at(std::int64_t unix_seconds) {
  return date::sys_seconds{std::chrono::seconds{unix_seconds}};
}

}  // namespace

std::int64_t days_from_civil(const civil_date& date) {
  // Normalise the month first: std::chrono only carries over days, and only within a byte.
  auto months = static_cast<std::int64_t>(date.year) * 12 + (date.month - 1);
  auto year = static_cast<int>(floor_div(months, 12));
  auto month = static_cast<unsigned>(months - static_cast<std::int64_t>(year) * 12 + 1);
  std::chrono::sys_days first = std::chrono::year(year) / std::chrono::month(month) / 1;
  return first.time_since_epoch().count() + (date.day - 1);
}

civil_date civil_from_days(std::int64_t days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  return {static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
          static_cast<int>(unsigned(ymd.day()))};
}

std::int64_t seconds_from_civil(const civil_time& time) {
  return days_from_civil(time.date) * seconds_per_day + std::int64_t{time.hour} * 3600 +
         std::int64_t{time.minute} * 60 + time.second;
}

civil_time civil_from_seconds(std::int64_t unix_seconds) {
  auto days = floor_div(unix_seconds, seconds_per_day);
  auto of_day = static_cast<int>(unix_seconds - days * seconds_per_day);
  return {civil_from_days(days), of_day / 3600, of_day / 60 % 60, of_day % 60};
}

bool time_zone::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  bool segment_start = true;
  for (char c : name) {
    if (c == '/') {
      if (segment_start) {
        return false;  // a leading '/' or an empty segment
      }
      segment_start = true;
      continue;
    }
    // No '.', so no ".." either.
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-') {
      return false;
    }
    segment_start = false;
  }
  return !segment_start;
}

time_zone::time_zone(std::string name, const date::time_zone& zone)
    : name_(std::move(name)), zone_(&zone) {}

std::shared_ptr<const time_zone> time_zone::find(std::string_view name) {
  if (!valid_name(name)) {
    return nullptr;
  }
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<const time_zone>> cache;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(std::string(name)); it != cache.end()) {
      return it->second;
    }
  }
  // Read outside the lock; if two threads race, both read and the first one stored wins.
  std::shared_ptr<const time_zone> zone;
  try {
    // The database lists the names it found under its directory, sorted; looking the name up
    // there rather than with date::locate_zone keeps an unknown name from costing an exception.
    const auto& zones = date::get_tzdb().zones;
    auto it =
        std::lower_bound(zones.begin(), zones.end(), name,
                         [](const date::time_zone& z, std::string_view n) { return z.name() < n; });
    if (it == zones.end() || it->name() != name) {
      return nullptr;
    }
    // date reads a zone's file on first use and throws if it cannot: make that happen here,
    // where it refuses the name, rather than in the middle of a schedule.
    it->get_info(sys_at(0));
    zone.reset(new time_zone(std::string(name), *it));
  } catch (const std::exception&) {
    return nullptr;
  }
  std::lock_guard lock(mutex);
  return cache.emplace(std::string(name), std::move(zone)).first->second;
}

std::int32_t time_zone::offset_at(std::int64_t unix_seconds) const {
  return static_cast<std::int32_t>(zone_->get_info(sys_at(unix_seconds)).offset.count());
}

std::int64_t time_zone::to_utc(const civil_time& local) const {
  auto wall = seconds_from_civil(local);
  // date says which offsets could show this wall-clock time: one; two when clocks went back,
  // the earlier instant's first; none in a gap, where the first is the offset from before the
  // gap, which read this way lands as far after the change as the wall-clock time was after
  // its start. In every case the first is the answer we want.
  auto info = zone_->get_info(date::local_seconds{std::chrono::seconds{wall}});
  return wall - info.first.offset.count();
}

}  // namespace supportd::reminders

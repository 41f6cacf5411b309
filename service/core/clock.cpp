#include "core/clock.hpp"

#include <chrono>
#include <cstdio>

namespace supportd::core {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t now_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds at{seconds(unix_seconds)};
  const auto day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss time{at - day};
  const int year = static_cast<int>(date.year());
  const int month = static_cast<int>(static_cast<unsigned>(date.month()));
  const int mday = static_cast<int>(static_cast<unsigned>(date.day()));
  const int hour = static_cast<int>(time.hours().count());
  const int minute = static_cast<int>(time.minutes().count());
  const int second = static_cast<int>(time.seconds().count());
  if (year >= 0 && year <= 9999) {
    // Digits put in place by hand: every delivered reminder formats two of these.
    std::string text = "0000-00-00T00:00:00Z";
    auto put = [&text](std::size_t at, int value, std::size_t digits) {
      for (std::size_t i = digits; i-- > 0; value /= 10) {
        text[at + i] = static_cast<char>('0' + value % 10);
      }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, mday, 2);
    put(11, hour, 2);
    put(14, minute, 2);
    put(17, second, 2);
    return text;
  }
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, mday, hour,
                minute, second);
  return text;
}

}  // namespace supportd::core

#include "reminders/time_zone.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <system_error>
#include <unordered_map>

namespace supportd::reminders {

namespace {

constexpr std::int64_t seconds_per_day = 86'400;

// Beyond this the calendar arithmetic below would leave std::chrono's year range; rules are
// evaluated at the nearest end instead (0001-01-01 and 9999-12-31).
constexpr std::int64_t earliest_rule_instant = -62'135'596'800;
constexpr std::int64_t latest_rule_instant = 253'402'300'799;

// The largest zone file in the database is a few kilobytes; anything far larger is not one.
constexpr std::uintmax_t max_file_size = std::uintmax_t{256} * 1024;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

bool is_leap(int year) {
  return std::chrono::year(year).is_leap();
}

// Big-endian fields of a TZif file, read front to back; every read checks what is left.
class tzif_cursor {
 public:
  explicit tzif_cursor(std::string_view data) : data_(data) {}

  bool has(std::uint64_t bytes) const { return bytes <= data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  void skip(std::size_t bytes) { pos_ += bytes; }
  std::string_view take(std::size_t bytes) {
    auto out = data_.substr(pos_, bytes);
    pos_ += bytes;
    return out;
  }
  std::string_view rest() const { return data_.substr(pos_); }

  std::uint64_t unsigned_be(int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) {
      value = (value << 8) | static_cast<unsigned char>(data_[pos_++]);
    }
    return value;
  }
  std::int64_t signed_be(int bytes) {
    auto value = unsigned_be(bytes);
    if (bytes < 8 && (value >> (bytes * 8 - 1)) != 0) {
      value |= ~std::uint64_t{0} << (bytes * 8);  // sign-extend
    }
    return static_cast<std::int64_t>(value);
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

struct tzif_header {
  char version = 0;  // '\0' for version 1, else '2', '3', '4'...
  std::uint64_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  // Size of the data block after this header, for 4-byte (v1) or 8-byte (v2+) times.
  std::uint64_t data_size(int time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

std::optional<tzif_header> read_header(tzif_cursor& in) {
  if (!in.has(44) || in.take(4) != "TZif") {
    return std::nullopt;
  }
  tzif_header h;
  h.version = in.take(1)[0];
  in.skip(15);
  h.isutcnt = in.unsigned_be(4);
  h.isstdcnt = in.unsigned_be(4);
  h.leapcnt = in.unsigned_be(4);
  h.timecnt = in.unsigned_be(4);
  h.typecnt = in.unsigned_be(4);
  h.charcnt = in.unsigned_be(4);
  // RFC 8536 section 3.1's constraints; with them, and counts from a 4-byte field, data_size()
  // cannot overflow.
  if (h.typecnt == 0 || h.typecnt > 256 || h.charcnt == 0 ||
      (h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
    return std::nullopt;
  }
  return h;
}

// The part of a POSIX TZ string that reads like "<+0545>" or "EST": a name we do not keep.
bool skip_zone_abbreviation(std::string_view& text) {
  std::size_t length = 0;
  if (!text.empty() && text.front() == '<') {
    auto close = text.find('>');
    if (close == std::string_view::npos || close < 4) {
      return false;
    }
    for (char c : text.substr(1, close - 1)) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-') {
        return false;
      }
    }
    length = close + 1;
  } else {
    while (length < text.size() && std::isalpha(static_cast<unsigned char>(text[length]))) {
      ++length;
    }
    if (length < 3) {
      return false;
    }
  }
  text.remove_prefix(length);
  return true;
}

// An unsigned decimal of 1 to `max_digits` digits no greater than `max`.
std::optional<int> read_number(std::string_view& text, int max_digits, int max) {
  int value = 0;
  int digits = 0;
  while (digits < max_digits && digits < static_cast<int>(text.size()) &&
         std::isdigit(static_cast<unsigned char>(text[digits]))) {
    value = value * 10 + (text[digits] - '0');
    ++digits;
  }
  if (digits == 0 || value > max) {
    return std::nullopt;
  }
  text.remove_prefix(digits);
  return value;
}

// [+-]hh[:mm[:ss]] in seconds. POSIX allows hours up to 24 in offsets; RFC 8536 section 3.3.1
// allows up to 167 in the times of day at which rules change, to reach into later days.
std::optional<std::int32_t> read_signed_time(std::string_view& text, int max_hours) {
  int sign = 1;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  auto hours = read_number(text, 3, max_hours);
  if (!hours) {
    return std::nullopt;
  }
  std::int32_t seconds = *hours * 3600;
  for (int scale : {60, 1}) {
    if (text.empty() || text.front() != ':') {
      break;
    }
    text.remove_prefix(1);
    auto part = read_number(text, 2, 59);
    if (!part) {
      return std::nullopt;
    }
    seconds += *part * scale;
  }
  return sign * seconds;
}

std::optional<time_zone::posix_rule::change> read_change(std::string_view& text) {
  using change = time_zone::posix_rule::change;
  change out;
  if (!text.empty() && text.front() == 'J') {
    text.remove_prefix(1);
    auto day = read_number(text, 3, 365);
    if (!day || *day == 0) {
      return std::nullopt;
    }
    out.form = change::kind::julian_no_leap;
    out.day = *day;
  } else if (!text.empty() && text.front() == 'M') {
    text.remove_prefix(1);
    auto month = read_number(text, 2, 12);
    if (!month || *month == 0 || text.empty() || text.front() != '.') {
      return std::nullopt;
    }
    text.remove_prefix(1);
    auto week = read_number(text, 1, 5);
    if (!week || *week == 0 || text.empty() || text.front() != '.') {
      return std::nullopt;
    }
    text.remove_prefix(1);
    auto weekday = read_number(text, 1, 6);
    if (!weekday) {
      return std::nullopt;
    }
    out.form = change::kind::month_week_day;
    out.month = *month;
    out.week = *week;
    out.day = *weekday;
  } else {
    auto day = read_number(text, 3, 365);
    if (!day) {
      return std::nullopt;
    }
    out.form = change::kind::zero_based_day;
    out.day = *day;
  }
  if (!text.empty() && text.front() == '/') {
    text.remove_prefix(1);
    auto time = read_signed_time(text, 167);
    if (!time) {
      return std::nullopt;
    }
    out.time = *time;
  }
  return out;
}

// Days since the epoch of the day in `year` on which a rule changes.
std::int64_t change_day(const time_zone::posix_rule::change& change, int year) {
  using kind = time_zone::posix_rule::change::kind;
  auto jan_1 = days_from_civil({year, 1, 1});
  switch (change.form) {
    case kind::julian_no_leap:
      // Jn never counts February 29th: J60 is March 1st in every year.
      return jan_1 + change.day - 1 + (is_leap(year) && change.day >= 60 ? 1 : 0);
    case kind::zero_based_day:
      return jan_1 + change.day;
    case kind::month_week_day: {
      auto first = days_from_civil({year, change.month, 1});
      auto first_weekday =
          std::chrono::weekday(std::chrono::sys_days(std::chrono::days(first))).c_encoding();
      auto day = 1 + (change.day - static_cast<int>(first_weekday) + 7) % 7 + 7 * (change.week - 1);
      // Week 5 means the last such weekday, which may be in the fourth week.
      auto month_length = static_cast<int>(
          unsigned((std::chrono::year(year) / change.month / std::chrono::last).day()));
      if (day > month_length) {
        day -= 7;
      }
      return first + day - 1;
    }
  }
  return jan_1;
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

std::shared_ptr<const time_zone> time_zone::load(std::string_view name,
                                                 const std::filesystem::path& root) {
  if (!valid_name(name)) {
    return nullptr;
  }
  auto path = root / std::filesystem::path(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return nullptr;
  }
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > max_file_size) {
    return nullptr;
  }
  std::string data(size, '\0');
  std::ifstream file(path, std::ios::binary);
  if (!file.read(data.data(), static_cast<std::streamsize>(size))) {
    return nullptr;
  }

  tzif_cursor in(data);
  auto header = read_header(in);
  if (!header) {
    return nullptr;
  }
  int time_size = 4;
  if (header->version != '\0') {
    // Version 2+ files repeat everything with 64-bit times after the version 1 block, and only
    // those reach past 2038; skip to them.
    if (!in.has(header->data_size(4))) {
      return nullptr;
    }
    in.skip(header->data_size(4));
    header = read_header(in);
    if (!header) {
      return nullptr;
    }
    time_size = 8;
  }
  // Leap seconds mean the file counts TAI-like seconds ("right/" zones) while ours are Unix
  // seconds; refuse rather than be out by half a minute.
  if (header->leapcnt != 0 || !in.has(header->data_size(time_size))) {
    return nullptr;
  }

  std::shared_ptr<time_zone> zone(new time_zone());
  zone->name_ = std::string(name);
  zone->transitions_.reserve(header->timecnt);
  for (std::uint64_t i = 0; i < header->timecnt; ++i) {
    auto at = in.signed_be(time_size);
    if (!zone->transitions_.empty() && at <= zone->transitions_.back()) {
      return nullptr;
    }
    zone->transitions_.push_back(at);
  }
  for (std::uint64_t i = 0; i < header->timecnt; ++i) {
    auto type = in.unsigned_be(1);
    if (type >= header->typecnt) {
      return nullptr;
    }
    zone->transition_types_.push_back(static_cast<std::uint8_t>(type));
  }
  for (std::uint64_t i = 0; i < header->typecnt; ++i) {
    auto offset = in.signed_be(4);
    in.skip(2);  // isdst, abbreviation index: not needed to place an instant
    // RFC 8536 section 3.2 keeps offsets within a day or so of Greenwich.
    if (offset < -89'999 || offset > 93'599) {
      return nullptr;
    }
    zone->type_offsets_.push_back(static_cast<std::int32_t>(offset));
  }
  in.skip(header->charcnt + header->isstdcnt + header->isutcnt);

  if (time_size == 8) {
    // The footer: "\n<POSIX TZ string>\n", possibly empty, for instants after the last
    // transition. Debian's files list transitions up to 2037 only.
    auto footer = in.rest();
    if (footer.size() < 2 || footer.front() != '\n') {
      return nullptr;
    }
    auto end = footer.find('\n', 1);
    if (end == std::string_view::npos) {
      return nullptr;
    }
    auto rule_text = footer.substr(1, end - 1);
    if (!rule_text.empty()) {
      zone->footer_ = parse_posix_rule(rule_text);
      if (!zone->footer_) {
        return nullptr;
      }
    }
  }
  return zone;
}

std::shared_ptr<const time_zone> time_zone::find(std::string_view name) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<const time_zone>> cache;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(std::string(name)); it != cache.end()) {
      return it->second;
    }
  }
  // Read outside the lock; if two threads race, both read and the first one stored wins.
  auto zone = load(name);
  if (!zone) {
    return nullptr;
  }
  std::lock_guard lock(mutex);
  return cache.emplace(std::string(name), std::move(zone)).first->second;
}

std::int32_t time_zone::offset_at(std::int64_t unix_seconds) const {
  auto after = std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds);
  if (after == transitions_.end() && footer_) {
    return offset_under(*footer_, unix_seconds);
  }
  if (after == transitions_.begin()) {
    return type_offsets_.front();
  }
  return type_offsets_[transition_types_[std::distance(transitions_.begin(), after) - 1]];
}

std::int64_t time_zone::to_utc(const civil_time& local) const {
  auto wall = seconds_from_civil(local);
  // Offsets a day either side of the wall-clock time read as UTC bracket any change of offset
  // that could make this wall-clock time ambiguous or missing, since real offsets stay well
  // within a day of UTC. Every offset seen around it is a candidate; the earliest instant
  // whose own offset agrees wins.
  auto before = offset_at(wall - seconds_per_day);
  auto after = offset_at(wall + seconds_per_day);
  std::optional<std::int64_t> earliest;
  for (auto offset : {before, after, offset_at(wall - before), offset_at(wall - after)}) {
    auto instant = wall - offset;
    if (offset_at(instant) == offset && (!earliest || instant < *earliest)) {
      earliest = instant;
    }
  }
  if (earliest) {
    return *earliest;
  }
  // Skipped by clocks going forward: read with the offset from before the change, this lands
  // as far after the change as the wall-clock time was after its start.
  return wall - before;
}

std::optional<time_zone::posix_rule> time_zone::parse_posix_rule(std::string_view text) {
  posix_rule rule;
  if (!skip_zone_abbreviation(text)) {
    return std::nullopt;
  }
  // POSIX counts hours west of Greenwich; we count seconds east, as TZif does.
  auto std_west = read_signed_time(text, 24);
  if (!std_west) {
    return std::nullopt;
  }
  rule.std_offset = -*std_west;
  if (text.empty()) {
    return rule;
  }
  if (!skip_zone_abbreviation(text)) {
    return std::nullopt;
  }
  rule.dst_offset = rule.std_offset + 3600;
  if (!text.empty() && text.front() != ',') {
    auto dst_west = read_signed_time(text, 24);
    if (!dst_west) {
      return std::nullopt;
    }
    rule.dst_offset = -*dst_west;
  }
  if (text.empty()) {
    // No dates: POSIX leaves this to the implementation; tzcode and glibc use the US rules.
    text = ",M3.2.0,M11.1.0";
  }
  if (text.front() != ',') {
    return std::nullopt;
  }
  text.remove_prefix(1);
  auto start = read_change(text);
  if (!start || text.empty() || text.front() != ',') {
    return std::nullopt;
  }
  text.remove_prefix(1);
  auto end = read_change(text);
  if (!end || !text.empty()) {
    return std::nullopt;
  }
  rule.start = *start;
  rule.end = *end;
  return rule;
}

std::int32_t time_zone::offset_under(const posix_rule& rule, std::int64_t unix_seconds) {
  if (!rule.dst_offset) {
    return rule.std_offset;
  }
  auto t = std::clamp(unix_seconds, earliest_rule_instant, latest_rule_instant);
  auto year = civil_from_seconds(t + rule.std_offset).date.year;
  // The changes of the years either side too: with times past 24:00 or before 00:00 a change
  // can fall in a neighbouring year, and in the southern hemisphere DST spans New Year.
  // Daylight time starts at a time given in standard time and ends at one given in daylight
  // time. The state after the latest change at or before `t` is the one in effect.
  struct edge {
    std::int64_t at;
    bool to_dst;
  };
  std::array<edge, 6> edges;
  for (std::size_t i = 0; i < 3; ++i) {
    int y = year - 1 + static_cast<int>(i);
    edges[2 * i] = {change_day(rule.start, y) * seconds_per_day + rule.start.time - rule.std_offset,
                    true};
    edges[2 * i + 1] = {
        change_day(rule.end, y) * seconds_per_day + rule.end.time - *rule.dst_offset, false};
  }
  // On a tie the start wins, which keeps "DST all year" rules like "EST5EDT,0/0,J365/25"
  // (each year's end coincides with the next one's start) in DST.
  std::sort(edges.begin(), edges.end(), [](const edge& a, const edge& b) {
    return a.at != b.at ? a.at < b.at : (!a.to_dst && b.to_dst);
  });
  std::optional<bool> dst;
  for (const auto& e : edges) {
    if (e.at > t) {
      break;
    }
    dst = e.to_dst;
  }
  if (!dst) {
    dst = !edges.front().to_dst;
  }
  return *dst ? *rule.dst_offset : rule.std_offset;
}

}  // namespace supportd::reminders

#include "reminders/time_zone.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

// Expected instants come from the system's own tools, run by hand on Debian 12 (tzdata 2025b),
// not from the code under test: `zdump -v -c 2026,2027 America/New_York` for the moments
// offsets change, `TZ=America/New_York date -d '2026-11-01 01:30 EDT' +%s` for wall-clock
// times, `date -u -d '2040-03-25 01:00Z' +%s` for UTC ones.

namespace supportd::reminders {
namespace {

constexpr std::int32_t hours = 3600;

std::shared_ptr<const time_zone> zone(std::string_view name) {
  auto found = time_zone::find(name);
  EXPECT_NE(found, nullptr) << name;
  return found;
}

civil_time at(int year, int month, int day, int hour, int minute, int second = 0) {
  return {{year, month, day}, hour, minute, second};
}

TEST(TimeZoneCalendar, CivilRoundTripsAndCarries) {
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(seconds_from_civil(at(2027, 1, 5, 9, 0)), 1799139600);
  EXPECT_EQ(civil_from_seconds(1799139600), at(2027, 1, 5, 9, 0));
  EXPECT_EQ(civil_from_seconds(-618105600), at(1950, 6, 1, 0, 0));
  EXPECT_EQ(civil_from_days(days_from_civil({2027, 2, 30})), (civil_date{2027, 3, 2}));
  EXPECT_EQ(civil_from_days(days_from_civil({2027, 13, 1})), (civil_date{2028, 1, 1}));
  EXPECT_EQ(civil_from_days(days_from_civil({2027, 0, 1})), (civil_date{2026, 12, 1}));
}

TEST(TimeZone, NewYorkSpringForwardGapMovesForward) {
  auto ny = zone("America/New_York");
  EXPECT_EQ(ny->offset_at(1772953199), -5 * hours);  // 2026-03-08 01:59:59 EST
  EXPECT_EQ(ny->offset_at(1772953200), -4 * hours);  // 03:00:00 EDT
  EXPECT_EQ(ny->to_utc(at(2026, 3, 8, 1, 59, 59)), 1772953199);
  EXPECT_EQ(ny->to_utc(at(2026, 3, 8, 3, 0)), 1772953200);
  // 02:30 does not exist that night: it becomes 03:30 EDT.
  EXPECT_EQ(ny->to_utc(at(2026, 3, 8, 2, 30)), 1772955000);
  EXPECT_EQ(ny->to_utc(at(2026, 3, 8, 2, 0)), 1772953200);
}

TEST(TimeZone, NewYorkFallBackOverlapTakesEarlier) {
  auto ny = zone("America/New_York");
  EXPECT_EQ(ny->offset_at(1793512799), -4 * hours);           // 2026-11-01 01:59:59 EDT
  EXPECT_EQ(ny->offset_at(1793512800), -5 * hours);           // 01:00:00 EST
  EXPECT_EQ(ny->to_utc(at(2026, 11, 1, 1, 30)), 1793511000);  // 01:30 EDT, not 1793514600 EST
  EXPECT_EQ(ny->to_utc(at(2026, 11, 1, 0, 59)), 1793509140);  // 00:59 EDT
  EXPECT_EQ(ny->to_utc(at(2026, 11, 1, 2, 0)), 1793516400);   // 02:00 EST
}

TEST(TimeZone, NewYorkBeforeFirstTransitionIsLocalMeanTime) {
  auto ny = zone("America/New_York");
  EXPECT_EQ(ny->offset_at(-2717650801), -17762);  // 1883-11-18 16:59:59 UT, LMT -4:56:02
  EXPECT_EQ(ny->offset_at(-2717650800), -5 * hours);
  EXPECT_EQ(ny->offset_at(-618105600), -4 * hours);  // 1950-06-01: EDT
}

TEST(TimeZone, London) {
  auto london = zone("Europe/London");
  EXPECT_EQ(london->offset_at(1774746000 - 1), 0);  // 2026-03-29 00:59:59 GMT
  EXPECT_EQ(london->offset_at(1774746000), 1 * hours);
  EXPECT_EQ(london->offset_at(1792890000 - 1), 1 * hours);  // 2026-10-25 01:59:59 BST
  EXPECT_EQ(london->offset_at(1792890000), 0);
  EXPECT_EQ(london->to_utc(at(2026, 3, 29, 1, 30)), 1774747800);   // gap: 02:30 BST
  EXPECT_EQ(london->to_utc(at(2026, 10, 25, 1, 30)), 1792888200);  // overlap: 01:30 BST
  EXPECT_EQ(london->to_utc(at(2027, 1, 5, 9, 0)), 1799139600);
}

TEST(TimeZone, AfterTheLastListedChangeItsOffsetHolds) {
  // The limit time_zone.hpp describes: Debian's files list changes up to 2037, and date does
  // not read the rule for the years after. If this fails, date has learnt to: say so there.
  auto london = zone("Europe/London");
  EXPECT_EQ(london->offset_at(2140045200 - 1), 1 * hours);  // 2037-10-25 01:59:59 BST
  EXPECT_EQ(london->offset_at(2140045200), 0);              // the last change listed
  EXPECT_EQ(london->offset_at(2224756800), 0);              // 2040-07-01: BST by the rule

  auto sydney = zone("Australia/Sydney");
  EXPECT_EQ(sydney->offset_at(2138198400 - 1), 10 * hours);  // 2037-10-04 01:59:59 AEST
  EXPECT_EQ(sydney->offset_at(2138198400), 11 * hours);      // the last change listed
  EXPECT_EQ(sydney->offset_at(2224756800), 11 * hours);      // 2040-07-01: AEST by the rule
}

TEST(TimeZone, SydneySouthernHemisphere) {
  auto sydney = zone("Australia/Sydney");
  EXPECT_EQ(sydney->offset_at(1767268800), 11 * hours);      // 2026-01-01: summer, AEDT
  EXPECT_EQ(sydney->offset_at(1780315200), 10 * hours);      // 2026-06-01: winter, AEST
  EXPECT_EQ(sydney->offset_at(1775318400 - 1), 11 * hours);  // 2026-04-05 02:59:59 AEDT
  EXPECT_EQ(sydney->offset_at(1775318400), 10 * hours);
  EXPECT_EQ(sydney->offset_at(1791043200 - 1), 10 * hours);  // 2026-10-04 01:59:59 AEST
  EXPECT_EQ(sydney->offset_at(1791043200), 11 * hours);
  EXPECT_EQ(sydney->to_utc(at(2026, 10, 4, 2, 30)), 1791045000);  // gap: 03:30 AEDT
  EXPECT_EQ(sydney->to_utc(at(2026, 4, 5, 2, 30)), 1775316600);   // overlap: 02:30 AEDT
}

TEST(TimeZone, LordHoweHalfHourDst) {
  auto lord_howe = zone("Australia/Lord_Howe");
  EXPECT_EQ(lord_howe->offset_at(1775314800 - 1), 11 * hours);  // 2026-04-05 01:59:59 +11
  EXPECT_EQ(lord_howe->offset_at(1775314800), 10 * hours + 1800);
  EXPECT_EQ(lord_howe->offset_at(1791041400 - 1), 10 * hours + 1800);
  EXPECT_EQ(lord_howe->offset_at(1791041400), 11 * hours);  // 2026-10-04 02:30 +11
  // 02:15 is skipped by half an hour, so it becomes 02:45 +11.
  EXPECT_EQ(lord_howe->to_utc(at(2026, 10, 4, 2, 15)), 1791042300);
  EXPECT_EQ(lord_howe->to_utc(at(2026, 4, 5, 1, 45)), 1775313900);  // 01:45 +11, the earlier
}

TEST(TimeZone, KathmanduQuarterHourOffset) {
  auto kathmandu = zone("Asia/Kathmandu");
  EXPECT_EQ(kathmandu->offset_at(1780315200), 5 * hours + 45 * 60);
  EXPECT_EQ(kathmandu->offset_at(2216250000), 5 * hours + 45 * 60);  // 2040: no change since 1986
  EXPECT_EQ(kathmandu->to_utc(at(2026, 6, 1, 9, 0)), 1780283700);
}

TEST(TimeZone, ApiaSkippedAWholeDay) {
  // Samoa jumped from 2011-12-29 23:59:59 -10 to 2011-12-31 00:00:00 +14: noon on the 30th
  // never happened and moves forward by the 24-hour gap.
  auto apia = zone("Pacific/Apia");
  EXPECT_EQ(apia->to_utc(at(2011, 12, 30, 12, 0)), 1325282400);  // 2011-12-31 12:00 +14
  EXPECT_EQ(apia->to_utc(at(2011, 12, 31, 12, 0)), 1325282400);
}

TEST(TimeZone, Utc) {
  for (auto name : {"UTC", "Etc/UTC"}) {
    auto utc = zone(name);
    EXPECT_EQ(utc->name(), name);
    EXPECT_EQ(utc->offset_at(0), 0);
    EXPECT_EQ(utc->offset_at(-2717650801), 0);
    EXPECT_EQ(utc->offset_at(2216250000), 0);
    EXPECT_EQ(utc->to_utc(at(2027, 1, 5, 9, 0)), 1799139600);
  }
}

TEST(TimeZone, RefusesUnknownAndUnsafeNames) {
  const std::string too_long(65, 'A');
  const std::string_view unsafe[] = {"",
                                     "../../etc/passwd",
                                     "/etc/passwd",
                                     "Europe/../../x",
                                     "Europe/./London",
                                     "./UTC",
                                     "Europe//London",
                                     "Europe/London/",
                                     "Europe\\London",
                                     "Europe/London ",
                                     std::string_view("UTC\0/../x", 9),
                                     "zone.tab",
                                     "%2e%2e/etc/passwd",
                                     too_long};
  for (auto name : unsafe) {
    EXPECT_FALSE(time_zone::valid_name(name)) << name;
    EXPECT_EQ(time_zone::find(name), nullptr) << name;
  }
  EXPECT_TRUE(time_zone::valid_name("America/Argentina/Buenos_Aires"));
  EXPECT_TRUE(time_zone::valid_name("Etc/GMT+5"));
  EXPECT_TRUE(time_zone::valid_name("America/Port-au-Prince"));

  EXPECT_EQ(time_zone::find("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(time_zone::find("europe/london"), nullptr);
  EXPECT_EQ(time_zone::find("Europe"), nullptr);     // a directory
  EXPECT_EQ(time_zone::find("right/UTC"), nullptr);  // counts leap seconds
}

TEST(TimeZone, FindCachesOneInstanceAcrossThreads) {
  std::vector<std::shared_ptr<const time_zone>> found(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < found.size(); ++i) {
    threads.emplace_back([&found, i] { found[i] = time_zone::find("Europe/Paris"); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  ASSERT_NE(found[0], nullptr);
  for (const auto& zone : found) {
    EXPECT_EQ(zone, time_zone::find("Europe/Paris"));
  }
  EXPECT_EQ(time_zone::find("Mars/Olympus_Mons"), nullptr);
}

// glibc's own reading of the same zone files (localtime_r under TZ), as the reference: the code
// under test never sees it.
class glibc_zone {
 public:
  explicit glibc_zone(const std::string& name) {
    if (const char* old = getenv("TZ")) {
      old_tz_ = old;
    }
    setenv("TZ", (":" + name).c_str(), 1);
    tzset();
  }
  ~glibc_zone() {
    if (old_tz_) {
      setenv("TZ", old_tz_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  glibc_zone(const glibc_zone&) = delete;
  glibc_zone& operator=(const glibc_zone&) = delete;

  std::int32_t offset_at(std::int64_t unix_seconds) const {
    const time_t t = unix_seconds;
    struct tm local {};
    localtime_r(&t, &local);
    return static_cast<std::int32_t>(local.tm_gmtoff);
  }

 private:
  std::optional<std::string> old_tz_;
};

// Every zone file of the system's database, as a name: what a reader may send. The "right/"
// zones (leap seconds), the "posix/" copies of the others, "posixrules" and "Factory" (no
// place's time) are left out, as the database the code uses leaves them out.
std::vector<std::string> system_zone_names() {
  const std::filesystem::path root = "/usr/share/zoneinfo";
  std::vector<std::string> names;
  for (auto it = std::filesystem::recursive_directory_iterator(root);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    auto name = it->path().lexically_relative(root).string();
    if (it->is_directory() && (name == "right" || name == "posix")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || name == "posixrules" || name == "Factory") {
      continue;
    }
    char magic[4] = {};
    std::ifstream(it->path(), std::ios::binary).read(magic, sizeof magic);
    if (std::string_view(magic, sizeof magic) == "TZif") {
      names.push_back(name);
    }
  }
  return names;
}

TEST(TimeZone, AgreesWithGlibcInEveryZoneFrom1900To2037) {
  // Up to the end of what Debian's files list (see time_zone.hpp for the years after).
  constexpr std::int64_t from = -2208988800;  // 1900-01-01
  constexpr std::int64_t until = 2145916800;  // 2038-01-01
  // Not a whole number of hours or days, so the samples drift through every time of day.
  constexpr std::int64_t stride = 9 * 86'400 + 3 * 3600 + 17 * 60 + 13;

  const auto names = system_zone_names();
  // 598 with Debian 12's tzdata 2025b; far fewer would mean the walk above went wrong.
  EXPECT_GT(names.size(), 500u);
  std::size_t transitions = 0;
  for (const auto& name : names) {
    auto ours = time_zone::find(name);
    ASSERT_NE(ours, nullptr) << name;
    const glibc_zone theirs(name);
    int failures = 0;
    auto check = [&](std::int64_t t) {
      auto expected = theirs.offset_at(t);
      if (ours->offset_at(t) != expected) {
        ADD_FAILURE() << name << " at " << t << ": offset " << ours->offset_at(t) << ", glibc "
                      << expected;
        ++failures;
      }
      // The wall-clock time shown at t maps back to t, or to an earlier instant showing it too.
      auto wall = t + expected;
      auto placed = ours->to_utc(civil_from_seconds(wall));
      if (placed > t || placed + theirs.offset_at(placed) != wall) {
        ADD_FAILURE() << name << ": wall-clock time " << wall << " of " << t << " placed at "
                      << placed;
        ++failures;
      }
    };
    std::int64_t previous = from;
    for (std::int64_t t = from; t < until && failures < 5; t += stride) {
      check(t);
      if (theirs.offset_at(previous) == theirs.offset_at(t)) {
        previous = t;
        continue;
      }
      // The offset changed in (previous, t]: find the instant glibc says it changed, and check
      // both sides of it and the wall-clock times it skips or repeats.
      std::int64_t low = previous, high = t;
      const auto before = theirs.offset_at(low);
      while (high - low > 1) {
        auto middle = low + (high - low) / 2;
        (theirs.offset_at(middle) == before ? low : high) = middle;
      }
      const auto after = theirs.offset_at(high);
      ++transitions;
      check(high - 1);
      check(high);
      // Skipped (clocks forward) or repeated (back): the later by the gap, or the earlier.
      auto inside = high + std::min(before, after) + std::abs(after - before) / 2;
      if (ours->to_utc(civil_from_seconds(inside)) != inside - before) {
        ADD_FAILURE() << name << ": wall-clock time " << inside << " at the change at " << high
                      << " from " << before << " to " << after << " placed at "
                      << ours->to_utc(civil_from_seconds(inside));
        ++failures;
      }
      previous = t;
    }
  }
  // Debian's database has about a hundred changes of offset per zone in these years.
  EXPECT_GT(transitions, 30'000u);
}

}  // namespace
}  // namespace supportd::reminders

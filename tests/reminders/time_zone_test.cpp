#include "reminders/time_zone.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

// Expected instants come from the system's own tools, run by hand on Debian 12 (tzdata 2025b),
// not from the code under test: `zdump -v -c 2026,2027 America/New_York` for the moments
// offsets change, `TZ=America/New_York date -d '2026-11-01 01:30 EDT' +%s` for wall-clock
// times, `date -u -d '2040-03-25 01:00Z' +%s` for UTC ones.

namespace supportd::reminders {
namespace {

constexpr std::int32_t hours = 3600;

std::shared_ptr<const time_zone> zone(std::string_view name) {
  auto loaded = time_zone::load(name);
  EXPECT_NE(loaded, nullptr) << name;
  return loaded;
}

civil_time at(int year, int month, int day, int hour, int minute, int second = 0) {
  return {{year, month, day}, hour, minute, second};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, const std::string& data) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << data;
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

TEST(TimeZone, FarFutureUsesTheFooterRule) {
  // Debian's files list transitions up to 2037 only; 2040 comes from the POSIX TZ string.
  auto london = zone("Europe/London");
  EXPECT_EQ(london->offset_at(2216250000 - 1), 0);  // 2040-03-25 00:59:59 GMT
  EXPECT_EQ(london->offset_at(2216250000), 1 * hours);
  EXPECT_EQ(london->offset_at(2234998800 - 1), 1 * hours);  // 2040-10-28 01:59:59 BST
  EXPECT_EQ(london->offset_at(2234998800), 0);

  auto ny = zone("America/New_York");
  EXPECT_EQ(ny->offset_at(2215062000 - 1), -5 * hours);  // 2040-03-11 01:59:59 EST
  EXPECT_EQ(ny->offset_at(2215062000), -4 * hours);
  EXPECT_EQ(ny->offset_at(2235621600 - 1), -4 * hours);  // 2040-11-04 01:59:59 EDT
  EXPECT_EQ(ny->offset_at(2235621600), -5 * hours);
  EXPECT_EQ(ny->to_utc(at(2040, 3, 11, 2, 30)), 2215062000 + 1800);  // gap: 03:30 EDT
  EXPECT_EQ(ny->to_utc(at(2040, 11, 4, 1, 30)), 2235621600 - 1800);  // overlap: EDT

  auto sydney = zone("Australia/Sydney");
  EXPECT_EQ(sydney->offset_at(2216822400 - 1), 11 * hours);  // 2040-04-01 02:59:59 AEDT
  EXPECT_EQ(sydney->offset_at(2216822400), 10 * hours);
  EXPECT_EQ(sydney->offset_at(2233152000 - 1), 10 * hours);  // 2040-10-07 01:59:59 AEST
  EXPECT_EQ(sydney->offset_at(2233152000), 11 * hours);
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
  EXPECT_EQ(kathmandu->offset_at(2216250000), 5 * hours + 45 * 60);  // 2040, footer "<+0545>-5:45"
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
    EXPECT_EQ(time_zone::load(name), nullptr) << name;
    EXPECT_EQ(time_zone::find(name), nullptr) << name;
  }
  EXPECT_TRUE(time_zone::valid_name("America/Argentina/Buenos_Aires"));
  EXPECT_TRUE(time_zone::valid_name("Etc/GMT+5"));
  EXPECT_TRUE(time_zone::valid_name("America/Port-au-Prince"));

  EXPECT_EQ(time_zone::load("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(time_zone::load("europe/london"), nullptr);
  EXPECT_EQ(time_zone::load("Europe"), nullptr);     // a directory
  EXPECT_EQ(time_zone::load("right/UTC"), nullptr);  // counts leap seconds
}

TEST(TimeZone, ReadsOnlyTzifFilesUnderTheRootGiven) {
  test::temp_dir dir;
  auto london = read_file("/usr/share/zoneinfo/Europe/London");
  ASSERT_GT(london.size(), 1000u);
  write_file(dir.path() / "Test/Copy", london);
  write_file(dir.path() / "Test/Truncated", london.substr(0, london.size() / 2));
  write_file(dir.path() / "Test/NoFooter", london.substr(0, london.size() - 1));
  write_file(dir.path() / "Test/Text", "not a zone file\n");
  write_file(dir.path() / "Test/Empty", "");

  auto copy = time_zone::load("Test/Copy", dir.path());
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->offset_at(1774746000), 1 * hours);
  EXPECT_EQ(copy->offset_at(2234998800 - 1), 1 * hours);
  for (auto name :
       {"Test/Truncated", "Test/NoFooter", "Test/Text", "Test/Empty", "Europe/London"}) {
    EXPECT_EQ(time_zone::load(name, dir.path()), nullptr) << name;
  }
}

TEST(TimeZone, ReadsVersionOneFiles) {
  // Keep only the header and 32-bit block of a real file and mark it version 1: RFC 8536's
  // counts at offset 20 give that block's size.
  auto data = read_file("/usr/share/zoneinfo/America/New_York");
  ASSERT_GT(data.size(), 44u);
  auto count = [&](int index) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      value = (value << 8) | static_cast<unsigned char>(data[20 + 4 * index + i]);
    }
    return std::size_t{value};
  };
  auto isutcnt = count(0), isstdcnt = count(1), leapcnt = count(2), timecnt = count(3),
       typecnt = count(4), charcnt = count(5);
  auto v1_size = 44 + timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt;
  ASSERT_LT(v1_size, data.size());
  auto v1 = data.substr(0, v1_size);
  v1[4] = '\0';
  test::temp_dir dir;
  write_file(dir.path() / "Old/New_York", v1);

  auto ny = time_zone::load("Old/New_York", dir.path());
  ASSERT_NE(ny, nullptr);
  EXPECT_EQ(ny->offset_at(1772953199), -5 * hours);
  EXPECT_EQ(ny->offset_at(1772953200), -4 * hours);
  EXPECT_EQ(ny->offset_at(-618105600), -4 * hours);  // 1950, a negative 32-bit time
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

TEST(TimeZonePosixRule, JulianAndZeroBasedDays) {
  // "J60" is March 1st every year (February 29th is never counted); "300" counts it, so it is
  // October 28th in 2027 but October 27th in leap 2028.
  auto rule = time_zone::parse_posix_rule("XXX3YYY,J60/2,300/2");
  ASSERT_TRUE(rule);
  EXPECT_EQ(time_zone::offset_under(*rule, 1803877200 - 1), -3 * hours);  // 2027-03-01 01:59:59
  EXPECT_EQ(time_zone::offset_under(*rule, 1803877200), -2 * hours);
  EXPECT_EQ(time_zone::offset_under(*rule, 1824696000 - 1), -2 * hours);  // 2027-10-28 01:59:59
  EXPECT_EQ(time_zone::offset_under(*rule, 1824696000), -3 * hours);
  EXPECT_EQ(time_zone::offset_under(*rule, 1835499600 - 1), -3 * hours);  // 2028-03-01
  EXPECT_EQ(time_zone::offset_under(*rule, 1835499600), -2 * hours);
  EXPECT_EQ(time_zone::offset_under(*rule, 1856232000 - 1), -2 * hours);  // 2028-10-27
  EXPECT_EQ(time_zone::offset_under(*rule, 1856232000), -3 * hours);
}

TEST(TimeZonePosixRule, ExtendedTimesOfDay) {
  // RFC 8536 section 3.3.1: negative times (America/Nuuk's) and times up to 167 hours.
  auto nuuk = time_zone::parse_posix_rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  ASSERT_TRUE(nuuk);
  EXPECT_EQ(time_zone::offset_under(*nuuk, 1806195600 - 1), -2 * hours);  // 2027-03-27 22:59:59
  EXPECT_EQ(time_zone::offset_under(*nuuk, 1806195600), -1 * hours);
  EXPECT_EQ(time_zone::offset_under(*nuuk, 1824944400 - 1), -1 * hours);  // 2027-10-30 23:59:59
  EXPECT_EQ(time_zone::offset_under(*nuuk, 1824944400), -2 * hours);

  auto far = time_zone::parse_posix_rule("CCC-3DDD,M5.5.4/167,M9.1.1/-3");
  ASSERT_TRUE(far);
  EXPECT_EQ(time_zone::offset_under(*far, 1811966400 - 1), 3 * hours);  // 2027-06-02 22:59:59
  EXPECT_EQ(time_zone::offset_under(*far, 1811966400), 4 * hours);
  EXPECT_EQ(time_zone::offset_under(*far, 1820163600 - 1), 4 * hours);  // 2027-09-05 20:59:59
  EXPECT_EQ(time_zone::offset_under(*far, 1820163600), 3 * hours);
}

TEST(TimeZonePosixRule, DstOffsetsAndDefaults) {
  auto explicit_dst = time_zone::parse_posix_rule("XXX5YYY4:30,M3.2.0,M11.1.0");
  ASSERT_TRUE(explicit_dst);
  EXPECT_EQ(explicit_dst->dst_offset, -4 * hours - 1800);
  EXPECT_EQ(time_zone::offset_under(*explicit_dst, 1805007600), -4 * hours - 1800);
  EXPECT_EQ(time_zone::offset_under(*explicit_dst, 1825569000 - 1), -4 * hours - 1800);
  EXPECT_EQ(time_zone::offset_under(*explicit_dst, 1825569000), -5 * hours);

  // No dates: the US rules, as tzcode does; America/New_York's 2027 changes.
  auto us = time_zone::parse_posix_rule("XXX5YYY");
  ASSERT_TRUE(us);
  EXPECT_EQ(time_zone::offset_under(*us, 1805007600 - 1), -5 * hours);
  EXPECT_EQ(time_zone::offset_under(*us, 1805007600), -4 * hours);
  EXPECT_EQ(time_zone::offset_under(*us, 1825567200 - 1), -4 * hours);
  EXPECT_EQ(time_zone::offset_under(*us, 1825567200), -5 * hours);

  auto fixed = time_zone::parse_posix_rule("<+0545>-5:45");
  ASSERT_TRUE(fixed);
  EXPECT_FALSE(fixed->dst_offset);
  EXPECT_EQ(time_zone::offset_under(*fixed, 0), 5 * hours + 45 * 60);
}

TEST(TimeZonePosixRule, DaylightTimeAllYear) {
  // RFC 8536 section 3.3.1's example of permanent daylight saving time.
  auto rule = time_zone::parse_posix_rule("EST5EDT,0/0,J365/25");
  ASSERT_TRUE(rule);
  for (std::int64_t t : {1798779599LL, 1798779600LL, 1814400000LL, 1861919999LL, 1861938000LL}) {
    EXPECT_EQ(time_zone::offset_under(*rule, t), -4 * hours) << t;
  }
}

TEST(TimeZonePosixRule, EvaluatesAtTheEndsOfTime) {
  auto rule = time_zone::parse_posix_rule("GMT0BST,M3.5.0/1,M10.5.0");
  ASSERT_TRUE(rule);
  EXPECT_EQ(time_zone::offset_under(*rule, std::numeric_limits<std::int64_t>::max()),
            0);  // as at 9999-12-31
  EXPECT_EQ(time_zone::offset_under(*rule, std::numeric_limits<std::int64_t>::min()),
            0);  // as at 0001-01-01
}

TEST(TimeZonePosixRule, RefusesMalformedRules) {
  for (auto text : {"",
                    "EST",
                    "ES5",
                    "5",
                    "EST5EDT,",
                    "EST5EDT,M3.2.0",
                    "EST5EDT,M3.2.0,",
                    "EST5EDT,M13.1.0,M11.1.0",
                    "EST5EDT,M0.1.0,M11.1.0",
                    "EST5EDT,M3.0.0,M11.1.0",
                    "EST5EDT,M3.6.0,M11.1.0",
                    "EST5EDT,M3.2.7,M11.1.0",
                    "EST5EDT,J0,J365",
                    "EST5EDT,J366,J365",
                    "EST5EDT,0,366",
                    "EST5EDT,M3.2.0/168,M11.1.0",
                    "EST25",
                    "EST5:60",
                    "<+05",
                    "<+5>-5",
                    "<+0 5>-5",
                    "EST5EDT,M3.2.0,M11.1.0x",
                    "EST5EDT;M3.2.0,M11.1.0"}) {
    EXPECT_FALSE(time_zone::parse_posix_rule(text)) << text;
  }
}

}  // namespace
}  // namespace supportd::reminders

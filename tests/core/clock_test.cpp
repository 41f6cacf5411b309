#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace supportd::core {
namespace {

TEST(Clock, FormatsRfc3339Utc) {
  EXPECT_EQ(format_rfc3339(1799139600), "2027-01-05T09:00:00Z");
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(-62167219200), "0000-01-01T00:00:00Z");
}

TEST(Clock, ReadsTheWallClockInBothUnits) {
  const auto ms = now_unix_ms();
  const auto seconds = now_unix_seconds();
  EXPECT_GT(seconds, 1'700'000'000);  // after November 2023
  EXPECT_LE(ms / 1000, seconds);
  EXPECT_LE(seconds - ms / 1000, 1);
}

}  // namespace
}  // namespace supportd::core

#include "config/duration.hpp"

#include <gtest/gtest.h>

namespace supportd::config {
namespace {

using namespace std::chrono_literals;

TEST(Duration, UnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("10"), 10s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("30d"), 720h);
}

TEST(Duration, RefusesJunkAndOverflow) {
  for (auto text : {"", "s", "-1s", "1.5s", "10 s", "3w", "366d", "99999999999999h"}) {
    EXPECT_FALSE(parse_duration(text)) << text;
  }
}

}  // namespace
}  // namespace supportd::config

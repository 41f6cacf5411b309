#include "http/admin_throttle.hpp"

#include <gtest/gtest.h>

namespace supportd::http {
namespace {

using namespace std::chrono_literals;

TEST(AdminThrottle, RefusesAnAddressAfterTooManyFailuresUntilItsWindowEnds) {
  admin_throttle throttle(3, 60s);
  const auto t0 = admin_throttle::clock::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(throttle.refused_for("192.0.2.1", t0 + std::chrono::seconds(i)));
    throttle.failed("192.0.2.1", t0 + std::chrono::seconds(i));
  }
  auto wait = throttle.refused_for("192.0.2.1", t0 + 10s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 50s);  // the window began with the first failure
  // Another address is not affected.
  EXPECT_FALSE(throttle.refused_for("192.0.2.2", t0 + 10s));
  // Rounded up, never 0.
  EXPECT_EQ(*throttle.refused_for("192.0.2.1", t0 + 59s + 500ms), 1s);
  EXPECT_FALSE(throttle.refused_for("192.0.2.1", t0 + 60s));
}

TEST(AdminThrottle, ASuccessStartsTheCountOver) {
  admin_throttle throttle(2, 60s);
  const auto t0 = admin_throttle::clock::time_point{} + 1000s;
  throttle.failed("a", t0);
  throttle.succeeded("a");
  throttle.failed("a", t0 + 1s);
  EXPECT_FALSE(throttle.refused_for("a", t0 + 2s));
  throttle.failed("a", t0 + 2s);
  EXPECT_TRUE(throttle.refused_for("a", t0 + 3s));
}

TEST(AdminThrottle, TracksAtMostItsBoundOfAddresses) {
  admin_throttle throttle(1, 60s, 2);
  const auto t0 = admin_throttle::clock::time_point{} + 1000s;
  throttle.failed("a", t0);
  throttle.failed("b", t0 + 1s);
  throttle.failed("c", t0 + 2s);  // "a", the oldest, makes room
  EXPECT_FALSE(throttle.refused_for("a", t0 + 3s));
  EXPECT_TRUE(throttle.refused_for("b", t0 + 3s));
  EXPECT_TRUE(throttle.refused_for("c", t0 + 3s));
}

}  // namespace
}  // namespace supportd::http

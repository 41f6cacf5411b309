// The Standard Webhooks retry schedule reminders and outbound messages share.
#include "notify/retry_schedule.hpp"

#include <gtest/gtest.h>

namespace supportd::notify {
namespace {

using namespace std::chrono_literals;

TEST(RetrySchedule, StandardWebhooksSchedule) {
  // https://www.standardwebhooks.com: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
  // 20 h, 24 h.
  EXPECT_EQ(retry_delay(0), 0s);
  EXPECT_EQ(retry_delay(1), 5s);
  EXPECT_EQ(retry_delay(2), 300s);
  EXPECT_EQ(retry_delay(3), 1'800s);
  EXPECT_EQ(retry_delay(4), 7'200s);
  EXPECT_EQ(retry_delay(5), 18'000s);
  EXPECT_EQ(retry_delay(6), 36'000s);
  EXPECT_EQ(retry_delay(7), 50'400s);
  EXPECT_EQ(retry_delay(8), 72'000s);
  EXPECT_EQ(retry_delay(9), 86'400s);
  EXPECT_EQ(retry_delay(10), std::nullopt);  // ten attempts failed: dead letter
  EXPECT_EQ(retry_delay(11), std::nullopt);
}

TEST(RetrySchedule, RetryAfterOnlyPostponesUpToADay) {
  EXPECT_EQ(retry_delay(1, 60s), 60s);     // later than the schedule's 5 s
  EXPECT_EQ(retry_delay(3, 60s), 1'800s);  // the schedule is later still
  EXPECT_EQ(retry_delay(1, 0s), 5s);
  EXPECT_EQ(retry_delay(1, -30s), 5s);
  EXPECT_EQ(retry_delay(1, 7 * 86'400s), 86'400s);  // capped
  EXPECT_EQ(retry_delay(10, 60s), std::nullopt);    // no extra attempt either
}

}  // namespace
}  // namespace supportd::notify

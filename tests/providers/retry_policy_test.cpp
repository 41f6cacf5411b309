#include "providers/retry_policy.hpp"

#include <gtest/gtest.h>

namespace supportd::providers {
namespace {

using namespace std::chrono_literals;

TEST(RetryPolicy, RetriesWhatStripeSaysIsRetryable) {
  EXPECT_TRUE(retry_policy::retryable(0, ""));
  EXPECT_TRUE(retry_policy::retryable(409, ""));
  EXPECT_TRUE(retry_policy::retryable(429, ""));
  EXPECT_TRUE(retry_policy::retryable(500, ""));
  EXPECT_TRUE(retry_policy::retryable(503, ""));
  EXPECT_FALSE(retry_policy::retryable(400, ""));
  EXPECT_FALSE(retry_policy::retryable(402, ""));
  EXPECT_FALSE(retry_policy::retryable(500, "false"));
  EXPECT_TRUE(retry_policy::retryable(400, "true"));
}

TEST(RetryPolicy, JitteredExponentialBackoffWithinAFewSeconds) {
  retry_policy p;
  EXPECT_EQ(p.delay_before(2, 0.0), 250ms);
  EXPECT_EQ(p.delay_before(2, 0.999), 499ms);
  EXPECT_EQ(p.delay_before(3, 0.0), 500ms);
  EXPECT_EQ(p.delay_before(20, 0.0), 2500ms);  // capped at 5 s before jitter
}

}  // namespace
}  // namespace supportd::providers

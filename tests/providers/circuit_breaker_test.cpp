#include "providers/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace supportd::providers {
namespace {

using namespace std::chrono_literals;

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresThenTriesOnce) {
  auto now = circuit_breaker::clock::now();
  circuit_breaker b(3, 30s, [&] { return now; });
  b.record_failure();
  b.record_failure();
  b.record_success();  // not consecutive
  b.record_failure();
  b.record_failure();
  EXPECT_TRUE(b.allow());
  b.record_failure();
  EXPECT_EQ(b.current(), circuit_breaker::state::open);
  EXPECT_FALSE(b.allow());
  now += 31s;
  EXPECT_TRUE(b.allow());   // the trial call
  EXPECT_FALSE(b.allow());  // only one
  b.record_failure();
  EXPECT_FALSE(b.allow());  // open again
  now += 31s;
  EXPECT_TRUE(b.allow());
  b.record_success();
  EXPECT_EQ(b.current(), circuit_breaker::state::closed);
  EXPECT_TRUE(b.allow());
}

}  // namespace
}  // namespace supportd::providers

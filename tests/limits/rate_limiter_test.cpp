// The rate limiter against a real redis-server: what a client sees (allowed up to the limit, then
// refused with a Retry-After that ends with the window), counts kept apart per client and scope,
// the client's address kept no longer than its window, and Redis being down reported as such.
#include "limits/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <string>
#include <thread>
#include <vector>

#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "support/redis_fixture.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::limits {
namespace {

using namespace std::chrono_literals;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Windows are aligned to the clock; a test that must stay in one window starts well inside one.
void stay_clear_of_a_window_end(std::chrono::milliseconds window) {
  auto left = window.count() - unix_ms() % window.count();
  if (left < 2000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(left + 50));
  }
}

class RateLimiter : public test::redis_fixture {
 protected:
  boost::system::result<rate_decision> hit(rate_limiter& limiter, std::string_view scope,
                                           std::string_view who) {
    return test::run(io, limiter.hit(scope, who));
  }

  redis::result call(std::vector<std::string_view> args) {
    return test::run(io, conn->command(args));
  }

  std::vector<std::string> keys(std::string_view pattern) {
    auto found = call({"KEYS", pattern});
    std::vector<std::string> names;
    for (const auto& e : found.value().elements) {
      names.push_back(e.text);
    }
    return names;
  }
};

TEST_F(RateLimiter, AllowsUpToTheLimitThenRefusesUntilTheWindowEnds) {
  rate_limiter limiter(*conn, prefix, 3, 1h);
  stay_clear_of_a_window_end(1h);
  for (int i = 1; i <= 3; ++i) {
    auto d = hit(limiter, "public-post", "203.0.113.9");
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_TRUE(d->allowed) << "request " << i;
  }
  for (int i = 4; i <= 6; ++i) {
    auto d = hit(limiter, "public-post", "203.0.113.9");
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_FALSE(d->allowed) << "request " << i;
    // Retry-After: the whole seconds left in this hour, rounded up (so never 0).
    const auto left_s = (3'600'000 - unix_ms() % 3'600'000 + 999) / 1000;
    EXPECT_GE(d->retry_after_seconds, 1);
    EXPECT_LE(d->retry_after_seconds, 3600);
    EXPECT_NEAR(d->retry_after_seconds, left_s, 1);
  }
}

TEST_F(RateLimiter, EachClientAndEachScopeHasItsOwnCount) {
  rate_limiter limiter(*conn, prefix, 1, 1h);
  stay_clear_of_a_window_end(1h);
  EXPECT_TRUE(hit(limiter, "public-post", "203.0.113.9")->allowed);
  EXPECT_FALSE(hit(limiter, "public-post", "203.0.113.9")->allowed);
  // Another client, the same client elsewhere, and another deployment sharing the Redis.
  EXPECT_TRUE(hit(limiter, "public-post", "198.51.100.7")->allowed);
  EXPECT_TRUE(hit(limiter, "reminder-email", "203.0.113.9")->allowed);
  rate_limiter other_deployment(*conn, "u:", 1, 1h);
  EXPECT_TRUE(hit(other_deployment, "public-post", "203.0.113.9")->allowed);
  // A client whose name ends like another's scope does not share its count.
  EXPECT_TRUE(hit(limiter, "public-post:203.0.113", "9")->allowed);
}

TEST_F(RateLimiter, AClientThatWaitsRetryAfterIsServedAgain) {
  rate_limiter limiter(*conn, prefix, 2, 1s);
  stay_clear_of_a_window_end(1s);
  EXPECT_TRUE(hit(limiter, "public-post", "203.0.113.9")->allowed);
  EXPECT_TRUE(hit(limiter, "public-post", "203.0.113.9")->allowed);
  auto refused = hit(limiter, "public-post", "203.0.113.9");
  ASSERT_TRUE(refused);
  ASSERT_FALSE(refused->allowed);
  EXPECT_EQ(refused->retry_after_seconds, 1);
  std::this_thread::sleep_for(std::chrono::seconds(refused->retry_after_seconds));
  auto again = hit(limiter, "public-post", "203.0.113.9");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->allowed);
}

struct burst_outcome {
  int allowed = 0;
  int refused = 0;
  int failed = 0;
  int total() const { return allowed + refused + failed; }
};

awaitable<void> one_request(rate_limiter& limiter, burst_outcome& out) {
  auto d = co_await limiter.hit("public-post", "203.0.113.9");
  if (!d) {
    ++out.failed;
  } else if (d->allowed) {
    ++out.allowed;
  } else {
    ++out.refused;
  }
}

// Concurrent requests (one client's burst over many connections) are counted one by one.
TEST_F(RateLimiter, ABurstInFlightAtOnceGetsExactlyTheLimit) {
  rate_limiter limiter(*conn, prefix, 10, 1h);
  stay_clear_of_a_window_end(1h);
  burst_outcome out;
  for (int i = 0; i < 50; ++i) {
    net::co_spawn(io, one_request(limiter, out), net::detached);
  }
  ASSERT_TRUE(test::run_until(
      io, [&] { return out.total() == 50; }, 10s));
  EXPECT_EQ(out.failed, 0);
  EXPECT_EQ(out.allowed, 10);
  EXPECT_EQ(out.refused, 40);
}

// The key names the client (an address): it must not outlive the window by more than a second.
TEST_F(RateLimiter, TheCountExpiresWithItsWindow) {
  rate_limiter limiter(*conn, prefix, 5, 1min);
  stay_clear_of_a_window_end(1min);
  // Taken before the first hit: the expiry, set then, can only be nearer.
  const auto left_ms = 60'000 - unix_ms() % 60'000;
  ASSERT_TRUE(hit(limiter, "public-post", "203.0.113.9"));
  ASSERT_TRUE(hit(limiter, "public-post", "203.0.113.9"));
  auto names = keys("t:rate:*");
  ASSERT_EQ(names.size(), 1u);
  EXPECT_NE(names[0].find("203.0.113.9"), std::string::npos);
  EXPECT_EQ(call({"GET", names[0]}).value().text, "2");
  auto ttl = call({"PTTL", names[0]}).value().integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, left_ms + 1000);
}

TEST_F(RateLimiter, ALimitOfZeroAllowsEverythingAndWritesNothing) {
  rate_limiter limiter(*conn, prefix, 0);
  for (int i = 0; i < 100; ++i) {
    auto d = hit(limiter, "public-post", "203.0.113.9");
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->allowed);
  }
  EXPECT_TRUE(keys("*").empty());
}

// The caller answers 503 (store unavailable) on this error: neither allowed nor refused.
TEST_F(RateLimiter, RedisDownIsAnErrorNotADecision) {
  rate_limiter limiter(*conn, prefix, 3);
  server.kill();
  ASSERT_TRUE(test::run_until(
      io, [&] { return !conn->ready(); }, 2s));
  auto d = hit(limiter, "public-post", "203.0.113.9");
  ASSERT_FALSE(d);
  EXPECT_TRUE(redis::is_unavailable(d.error())) << d.error().message();
}

}  // namespace
}  // namespace supportd::limits

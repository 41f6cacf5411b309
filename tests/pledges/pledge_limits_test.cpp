#include "pledges/pledge_limits.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/money.hpp"

namespace supportd::pledges {
namespace {

TEST(PledgeLimits, ParseAndOverride) {
  std::string why;
  auto limits = pledge_limits::parse("*:month:2:800,GBP:month:2:166", why);
  ASSERT_TRUE(limits) << why;
  EXPECT_EQ(limits->range(*find_currency("USD"), interval::month).max_minor, 80000);
  EXPECT_EQ(limits->range(*find_currency("GBP"), interval::month).max_minor, 16600);
  EXPECT_EQ(limits->range(*find_currency("GBP"), interval::once).max_minor, 1000000);
  for (auto bad :
       {"USD:month:2", "XXX:month:1:2", "USD:weekly:1:2", "USD:month:5:2", "USD:month:a:2"}) {
    EXPECT_FALSE(pledge_limits::parse(bad, why)) << bad;
  }
}

}  // namespace
}  // namespace supportd::pledges

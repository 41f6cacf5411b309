// The one amount rule of a new pledge and of a new amount for a recurring one: what each way of
// giving it reads as, and what the limits refuse, with the field errors a form marks.
#include "pledges/pledge_amount.hpp"

#include <gtest/gtest.h>

namespace supportd::pledges {
namespace {

struct checked {
  std::optional<std::int64_t> minor;
  std::vector<std::string> errors;  // field:code
};

checked check(amount_fields f, std::string_view code = "USD",
              std::optional<interval> every = interval::month,
              const pledge_limits& limits = pledge_limits()) {
  std::vector<http::field_error> errors;
  checked out;
  out.minor = validate_amount(f, find_currency(code), every, limits, errors);
  for (const auto& e : errors) {
    out.errors.push_back(e.field + ":" + e.code);
  }
  return out;
}

TEST(PledgeAmount, MajorUnitsOrMinorUnits) {
  EXPECT_EQ(check({.amount = "7.50"}).minor, 750);
  EXPECT_EQ(check({.amount = "7"}).minor, 700);
  EXPECT_EQ(check({.amount_minor = 750}).minor, 750);
  EXPECT_EQ(check({.amount = "500"}, "JPY", interval::month).minor, 500);
  EXPECT_EQ(check({.amount = "2.500"}, "KWD", interval::month).minor, 2500);
}

TEST(PledgeAmount, EachMistakeIsNamedAfterTheFieldSent) {
  EXPECT_EQ(check({}).errors, std::vector<std::string>{"amount:required"});
  EXPECT_EQ(check({.amount = "7.505"}).errors, std::vector<std::string>{"amount:invalid"});
  EXPECT_EQ(check({.amount = "-7"}).errors, std::vector<std::string>{"amount:invalid"});
  EXPECT_EQ(check({.amount = "99999999999999999999"}).errors,
            std::vector<std::string>{"amount:too_large"});
  EXPECT_EQ(check({.amount = "7", .amount_minor = 700}).errors,
            std::vector<std::string>{"amount:invalid"});
  EXPECT_EQ(check({.amount_minor = 0}).errors, std::vector<std::string>{"amount_minor:too_small"});
  EXPECT_EQ(check({.amount = "1.99"}).errors, std::vector<std::string>{"amount:too_small"});
  EXPECT_EQ(check({.amount_minor = 1000001}).errors,
            std::vector<std::string>{"amount_minor:too_large"});
  EXPECT_FALSE(check({.amount = "1.99"}).minor);
}

TEST(PledgeAmount, TheLimitsAreThoseOfTheCurrencyAndInterval) {
  std::string error;
  auto limits = pledge_limits::parse("*:month:2:800,GBP:month:2:166", error);
  ASSERT_TRUE(limits) << error;
  EXPECT_EQ(check({.amount = "200"}, "GBP", interval::month, *limits).errors,
            std::vector<std::string>{"amount:too_large"});
  EXPECT_EQ(check({.amount = "200"}, "USD", interval::month, *limits).minor, 20000);
  // Once: 1 by default, where a month needs 2.
  EXPECT_EQ(check({.amount = "1"}, "USD", interval::once).minor, 100);
  std::vector<http::field_error> errors;
  auto minor = validate_amount({.amount = "1.99"}, find_currency("USD"), interval::month,
                               pledge_limits(), errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_FALSE(minor);
  EXPECT_EQ(errors[0].message, "The smallest month amount is 2.00 USD.");
}

TEST(PledgeAmount, WithoutACurrencyOrIntervalOnlyWhatNeedsNoneIsChecked) {
  // The currency's own error is the caller's; no second error for the amount.
  EXPECT_EQ(check({.amount = "7.50"}, "XXX").errors, std::vector<std::string>{});
  EXPECT_FALSE(check({.amount = "7.50"}, "XXX").minor);
  EXPECT_EQ(check({.amount_minor = -1}, "XXX").errors,
            std::vector<std::string>{"amount_minor:too_small"});
  EXPECT_EQ(check({.amount = "1"}, "USD", std::nullopt).errors, std::vector<std::string>{});
}

}  // namespace
}  // namespace supportd::pledges

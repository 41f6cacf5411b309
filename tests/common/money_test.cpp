#include "common/money.hpp"

#include <gtest/gtest.h>

namespace supportd::common {
namespace {

const currency usd = *find_currency("USD");
const currency jpy = *find_currency("JPY");
const currency kwd = *find_currency("KWD");

TEST(Money, ParsesMajorUnitsIntoMinorPerExponent) {
  EXPECT_EQ(parse_major_amount("5", usd).minor, 500);
  EXPECT_EQ(parse_major_amount("5.5", usd).minor, 550);
  EXPECT_EQ(parse_major_amount("5.00", usd).minor, 500);
  EXPECT_EQ(parse_major_amount("0.01", usd).minor, 1);
  EXPECT_EQ(parse_major_amount("500", jpy).minor, 500);
  EXPECT_EQ(parse_major_amount("500.00", jpy).minor, 500);
  EXPECT_EQ(parse_major_amount("1.5", kwd).minor, 1500);
  EXPECT_EQ(parse_major_amount("1.234", kwd).minor, 1234);
}

TEST(Money, RefusesWhatIsNotPlainDecimal) {
  for (auto text :
       {"", "5.", ".5", "-5", "+5", "5,00", "1e3", " 5", "5 ", "five", "5.0.0", "0x10"}) {
    EXPECT_FALSE(parse_major_amount(text, usd).minor) << text;
  }
  EXPECT_EQ(parse_major_amount("5.001", usd).error, amount_error::too_many_decimals);
  EXPECT_EQ(parse_major_amount("500.5", jpy).error, amount_error::too_many_decimals);
  EXPECT_EQ(parse_major_amount("99999999999999999999", usd).error, amount_error::too_large);
}

TEST(Money, FormatsPerExponent) {
  EXPECT_EQ(format_major_amount(1234, usd), "12.34");
  EXPECT_EQ(format_major_amount(5, usd), "0.05");
  EXPECT_EQ(format_major_amount(500, jpy), "500");
  EXPECT_EQ(format_major_amount(1500, kwd), "1.500");
}

TEST(Money, OnlySupportedCurrencies) {
  EXPECT_TRUE(find_currency("EUR"));
  EXPECT_FALSE(find_currency("usd"));
  EXPECT_FALSE(find_currency("XXX"));
  EXPECT_EQ(find_currency("GBP")->provider_minimum_minor, 30);
}

}  // namespace
}  // namespace supportd::common

#include "common/card_screen.hpp"

#include <gtest/gtest.h>

namespace supportd::common {
namespace {

TEST(CardScreen, SpotsCardNumbersAsPeopleTypeThem) {
  EXPECT_TRUE(looks_like_card_number("4242424242424242"));
  EXPECT_TRUE(looks_like_card_number("4242 4242 4242 4242"));
  EXPECT_TRUE(looks_like_card_number("my card is 4242-4242-4242-4242 thanks"));
  EXPECT_TRUE(looks_like_card_number("378282246310005"));  // 15-digit Amex test number
}

TEST(CardScreen, LeavesOtherNumbersAlone) {
  EXPECT_FALSE(looks_like_card_number("4242424242424241"));         // fails Luhn
  EXPECT_FALSE(looks_like_card_number("424242424242"));             // 12 digits
  EXPECT_FALSE(looks_like_card_number("12345678901234567890123"));  // longer than 19
  EXPECT_FALSE(looks_like_card_number("https://news.example/2026/11/27/story"));
  EXPECT_FALSE(looks_like_card_number("5.00"));
}

}  // namespace
}  // namespace supportd::common

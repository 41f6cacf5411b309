#include "http/request_id.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace supportd::http {
namespace {

TEST(RequestId, SaneIdsAreKeptOthersReplaced) {
  EXPECT_TRUE(is_sane_request_id("abc-123_x.y:z"));
  EXPECT_FALSE(is_sane_request_id(""));
  EXPECT_FALSE(is_sane_request_id("has space"));
  EXPECT_FALSE(is_sane_request_id("quote\""));
  EXPECT_FALSE(is_sane_request_id(std::string(129, 'a')));
  std::array<char, 32> a, b;
  auto id = generate_request_id(a);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(is_sane_request_id(id));
  EXPECT_NE(id, generate_request_id(b));
}

}  // namespace
}  // namespace supportd::http

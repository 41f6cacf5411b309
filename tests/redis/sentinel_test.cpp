#include "redis/sentinel.hpp"

#include <gtest/gtest.h>

#include "redis/errc.hpp"

namespace supportd::redis {
namespace {

reply bulk(std::string text) {
  return reply{.type = reply::kind::string, .text = std::move(text)};
}

TEST(SentinelReplies, PrimaryAddressIsIpAndPort) {
  reply r{.type = reply::kind::array, .elements = {bulk("10.0.0.7"), bulk("6380")}};
  auto address = parse_primary_address(r);
  ASSERT_TRUE(address);
  EXPECT_EQ(*address, (common::host_port{"10.0.0.7", 6380}));
}

TEST(SentinelReplies, UnknownNameOrOddShapesAreErrors) {
  EXPECT_EQ(parse_primary_address(reply{}).error(), errc::unexpected_reply);  // nil: unknown
  EXPECT_EQ(parse_primary_address(reply{.type = reply::kind::error, .text = "ERR"}).error(),
            errc::server_error);
  for (auto port : {"0", "65536", "x", ""}) {
    reply r{.type = reply::kind::array, .elements = {bulk("10.0.0.7"), bulk(port)}};
    EXPECT_FALSE(parse_primary_address(r)) << port;
  }
  EXPECT_FALSE(parse_primary_address(reply{.type = reply::kind::array, .elements = {bulk("h")}}));
}

TEST(SentinelReplies, SwitchMasterNamesTheNewPrimaryOfOurs) {
  auto address = parse_switch_master("mymaster 10.0.0.1 6379 10.0.0.2 6380", "mymaster");
  ASSERT_TRUE(address);
  EXPECT_EQ(*address, (common::host_port{"10.0.0.2", 6380}));
  EXPECT_FALSE(parse_switch_master("other 10.0.0.1 6379 10.0.0.2 6380", "mymaster"));
  EXPECT_FALSE(parse_switch_master("mymaster 10.0.0.1 6379 10.0.0.2", "mymaster"));
  EXPECT_FALSE(parse_switch_master("mymaster 10.0.0.1 6379 10.0.0.2 6380 extra", "mymaster"));
  EXPECT_FALSE(parse_switch_master("mymaster 10.0.0.1 6379 10.0.0.2 nope", "mymaster"));
}

}  // namespace
}  // namespace supportd::redis

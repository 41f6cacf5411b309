#include "common/host_port.hpp"

#include <gtest/gtest.h>

namespace supportd::common {
namespace {

TEST(HostPort, V4V6AndNames) {
  EXPECT_EQ(parse_host_port("127.0.0.1:8443"), (host_port{"127.0.0.1", 8443}));
  EXPECT_EQ(parse_host_port("[::1]:80"), (host_port{"::1", 80}));
  EXPECT_EQ(parse_host_port("0.0.0.0:0"), (host_port{"0.0.0.0", 0}));
  for (auto text :
       {"127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1]80", "h:8x"}) {
    EXPECT_FALSE(parse_host_port(text)) << text;
  }
}

}  // namespace
}  // namespace supportd::common

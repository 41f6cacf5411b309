#include "redis/script.hpp"

#include <gtest/gtest.h>

namespace supportd::redis {
namespace {

TEST(Script, NamedBySha1LikeRedis) {
  // redis-cli SCRIPT LOAD "return 1" answers this digest.
  script s("return 1");
  EXPECT_EQ(s.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

}  // namespace
}  // namespace supportd::redis

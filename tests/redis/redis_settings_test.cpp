#include "redis/redis_settings.hpp"

#include <gtest/gtest.h>

namespace supportd::redis {
namespace {

TEST(RedisUrl, TcpWithPasswordAndDb) {
  std::string why;
  auto e = parse_redis_url("redis://:s3cret@10.0.0.5:6380/3", why);
  ASSERT_TRUE(e) << why;
  EXPECT_EQ(e->host, "10.0.0.5");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->db, 3);
  EXPECT_TRUE(e->socket_path.empty());
}

TEST(RedisUrl, DefaultsPortAndDb) {
  std::string why;
  auto e = parse_redis_url("redis://localhost", why);
  ASSERT_TRUE(e) << why;
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->db, 0);
}

TEST(RedisUrl, UnixSocket) {
  std::string why;
  auto e = parse_redis_url("unix:///run/redis/redis.sock", why);
  ASSERT_TRUE(e) << why;
  EXPECT_EQ(e->socket_path, "/run/redis/redis.sock");
  EXPECT_TRUE(e->host.empty());
}

TEST(RedisUrl, AclUserOverTls) {
  std::string why;
  auto e = parse_redis_url("rediss://supportd:p%40ss@redis.internal:6380/2", why);
  ASSERT_TRUE(e) << why;
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->host, "redis.internal");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->username, "supportd");
  EXPECT_EQ(e->password, "p@ss");
  EXPECT_EQ(e->db, 2);
  auto plain = parse_redis_url("redis://:only-password@h", why);
  ASSERT_TRUE(plain) << why;
  EXPECT_FALSE(plain->tls);
  EXPECT_TRUE(plain->username.empty());
  EXPECT_EQ(plain->password, "only-password");
}

TEST(RedisUrl, RefusesOtherForms) {
  for (auto text :
       {"", "localhost:6379", "http://localhost", "redis://", "redis://h/16", "redis://h/x",
        "redis://h:0", "redis://h?db=1", "unix://host/x.sock", "redis://user@h", "redisss://h"}) {
    std::string why;
    EXPECT_FALSE(parse_redis_url(text, why)) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
}

TEST(HostPortList, ParsesEveryEntry) {
  std::string why;
  auto list = parse_host_port_list("10.0.0.1:26379,sentinel-2:26380,[::1]:26381", why);
  ASSERT_TRUE(list) << why;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1], (common::host_port{"sentinel-2", 26380}));
  EXPECT_EQ((*list)[2].host, "::1");
  for (auto text : {"", "a:1,", "a", "a:1,b", ",a:1", "a:0"}) {
    EXPECT_FALSE(parse_host_port_list(text, why)) << text;
  }
}

}  // namespace
}  // namespace supportd::redis

// Parsing of the value kinds settings are made of: durations, listen addresses, Redis URLs.
#include <gtest/gtest.h>

#include "common/host_port.hpp"
#include "config/duration.hpp"
#include "config/redis_url.hpp"

namespace supportd::config {
namespace {

using namespace std::chrono_literals;

TEST(Duration, UnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("10"), 10s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("30d"), 720h);
}

TEST(Duration, RefusesJunkAndOverflow) {
  for (auto text : {"", "s", "-1s", "1.5s", "10 s", "3w", "366d", "99999999999999h"}) {
    EXPECT_FALSE(parse_duration(text)) << text;
  }
}

TEST(HostPort, V4V6AndNames) {
  EXPECT_EQ(common::parse_host_port("127.0.0.1:8443"), (common::host_port{"127.0.0.1", 8443}));
  EXPECT_EQ(common::parse_host_port("[::1]:80"), (common::host_port{"::1", 80}));
  EXPECT_EQ(common::parse_host_port("0.0.0.0:0"), (common::host_port{"0.0.0.0", 0}));
  for (auto text :
       {"127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1]80", "h:8x"}) {
    EXPECT_FALSE(common::parse_host_port(text)) << text;
  }
}

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
}  // namespace supportd::config

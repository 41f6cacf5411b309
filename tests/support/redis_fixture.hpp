// A real redis-server and one connection to it, for the tests of what stores things in Redis;
// their keys go under "t:".
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "redis/connection.hpp"
#include "redis/redis_settings.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::test {

class redis_fixture : public ::testing::Test {
 public:
  void SetUp() override {
    std::string why;
    conn = std::make_unique<redis::connection>(
        io, redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
        nullptr);
    conn->start();
    ASSERT_TRUE(test::run_until(
        io, [&] { return conn->ready(); }, std::chrono::seconds(5)));
  }

  // Every key under the prefix, sorted.
  std::vector<std::string> keys() {
    auto found = server.cli({"KEYS", prefix + "*"});
    std::erase(found, "");
    std::sort(found.begin(), found.end());
    return found;
  }

  redis_server server;
  net::io_context io;
  std::unique_ptr<redis::connection> conn;
  const std::string prefix = "t:";
};

}  // namespace supportd::test

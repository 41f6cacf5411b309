// Table-driven tests of one Redis Lua script (service/*/scripts/*.lua) against a real
// redis-server: each row starts from an empty Redis, runs the commands that set the scene, runs
// the script with the row's KEYS and ARGV, and compares the reply and every key in Redis after.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "redis/connection.hpp"
#include "support/redis_server.hpp"

namespace supportd::test {

struct script_row {
  std::string name;                               // what the row shows (printed when it fails)
  std::vector<std::vector<std::string>> given{};  // commands run first
  std::vector<std::string> keys{};
  std::vector<std::string> args{};
  std::string reply{};                         // as shown() prints it
  std::map<std::string, std::string> after{};  // every key there is, as contents() prints it
};

// A reply as text: 5, "text", nil, (error) text, [a, b].
std::string shown(const redis::reply& r);

class script_test : public ::testing::Test {
 public:
  void SetUp() override;

  // Runs `script` as the stores do (EVALSHA, EVAL when Redis does not have it yet).
  redis::reply run(std::string_view script, const std::vector<std::string>& keys,
                   const std::vector<std::string>& args);
  redis::reply command(const std::vector<std::string>& args);
  // Runs `script` once per call, all at once (pipelined: Redis fsyncs its AOF once per batch,
  // not once per call), and returns the replies in the calls' order.
  struct call {
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  std::vector<redis::reply> run_all(std::string_view script, const std::vector<call>& calls);

  // A key's contents as text, by its type: a string as is, a hash {field=value, …} by field, a
  // sorted set {member:score, …} by score, a set (a, …) by member, a list [a, …], a stream
  // [{field=value, …}, …] in order (entry ids aside: they hold the time of the XADD). A key that
  // expires ends in ` ttl=<seconds, rounded up>s`. A missing key is `none`.
  std::string contents(const std::string& key);
  // Every key there is, with its contents.
  std::map<std::string, std::string> everything();

  // Runs every row on an empty Redis and checks its reply and what Redis holds after.
  void check(std::string_view script, const std::vector<script_row>& rows);

  redis_server server;
  net::io_context io;
  std::unique_ptr<redis::connection> conn;
};

}  // namespace supportd::test

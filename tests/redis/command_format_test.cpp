#include "redis/command_format.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace supportd::redis {
namespace {

TEST(CommandFormat, WritesRespArraysOfBulkStrings) {
  std::string out;
  std::string_view set[] = {"SET", "key", "value"};
  append_command(out, set);
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
  // Appends: a pipeline is one buffer.
  std::string_view ping[] = {"PING"};
  append_command(out, ping);
  EXPECT_EQ(out.substr(out.size() - 14), "*1\r\n$4\r\nPING\r\n");
}

// Lengths, not delimiters, frame each argument: empty ones, CRLF and NUL bytes pass unchanged.
TEST(CommandFormat, BinaryAndEmptyArgumentsKeepTheirBytes) {
  std::string out;
  const std::string binary("a\r\n\0b", 5);
  const std::string long_value(1000, 'x');
  std::string_view args[] = {"HSET", "", binary, long_value};
  append_command(out, args);
  EXPECT_EQ(
      out, "*4\r\n$4\r\nHSET\r\n$0\r\n\r\n$5\r\n" + binary + "\r\n$1000\r\n" + long_value + "\r\n");
}

}  // namespace
}  // namespace supportd::redis

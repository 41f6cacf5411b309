// Replies parsed from real RESP bytes by hiredis's own reader, then turned into typed values.
#include "redis/reply.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "redis/errc.hpp"

namespace supportd::redis {
namespace {

using namespace std::string_literals;

std::optional<reply> parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* raw = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &raw), REDIS_OK);
  auto parsed = from_hiredis(static_cast<redisReply*>(raw));
  if (raw != nullptr) {
    freeReplyObject(raw);
  }
  redisReaderFree(reader);
  return parsed;
}

TEST(Reply, Scalars) {
  EXPECT_EQ(as_integer(*parse(":42\r\n")).value(), 42);
  EXPECT_EQ(as_string(*parse("$5\r\nhe\0lo\r\n"s)).value(), "he\0lo"s);  // binary-safe
  EXPECT_TRUE(expect_status(*parse("+OK\r\n"), "OK"));
  EXPECT_EQ(as_optional_string(*parse("$-1\r\n")).value(), std::nullopt);
}

TEST(Reply, ErrorsAreServerErrors) {
  auto r = parse("-NOSCRIPT No matching script\r\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_error());
  EXPECT_EQ(as_integer(*r).error(), errc::server_error);
  EXPECT_EQ(as_string(*r).error(), errc::server_error);
}

TEST(Reply, WrongTypeIsUnexpectedNotACrash) {
  EXPECT_EQ(as_integer(*parse("$1\r\n7\r\n")).error(), errc::unexpected_reply);
  EXPECT_EQ(as_string(*parse(":1\r\n")).error(), errc::unexpected_reply);
  EXPECT_EQ(as_string(*parse("$-1\r\n")).error(), errc::unexpected_reply);
  EXPECT_EQ(as_string_array(*parse("*2\r\n$1\r\na\r\n:2\r\n")).error(), errc::unexpected_reply);
  EXPECT_EQ(expect_status(*parse("+QUEUED\r\n"), "OK").error(), errc::unexpected_reply);
}

TEST(Reply, NestedArrays) {
  auto r = parse("*2\r\n$1\r\na\r\n*1\r\n:5\r\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->elements.size(), 2u);
  EXPECT_EQ(r->elements[1].elements[0].integer, 5);
  EXPECT_EQ(as_string_array(*parse("*2\r\n$1\r\na\r\n$1\r\nb\r\n")).value(),
            (std::vector<std::string>{"a", "b"}));
}

TEST(Reply, TooDeepIsRefused) {
  // hiredis's reader stops at 7 levels itself; build a deeper tree by hand.
  std::vector<redisReply> levels(20);
  std::vector<redisReply*> children(20);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    levels[i] = redisReply{};
    if (i + 1 < levels.size()) {
      levels[i].type = REDIS_REPLY_ARRAY;
      levels[i].elements = 1;
      children[i] = &levels[i + 1];
      levels[i].element = &children[i];
    } else {
      levels[i].type = REDIS_REPLY_INTEGER;
      levels[i].integer = 1;
    }
  }
  EXPECT_FALSE(from_hiredis(&levels[0]));
  EXPECT_TRUE(from_hiredis(&levels[10]));
}

}  // namespace
}  // namespace supportd::redis

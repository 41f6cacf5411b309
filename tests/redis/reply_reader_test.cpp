#include "redis/reply_reader.hpp"

#include <gtest/gtest.h>

#include "redis/errc.hpp"

namespace supportd::redis {
namespace {

TEST(ReplyReader, AReplySplitAcrossReadsComesWhole) {
  reply_reader reader;
  const std::string bytes = "*2\r\n$5\r\nhello\r\n:42\r\n";
  for (char c : bytes.substr(0, bytes.size() - 1)) {
    reader.feed(std::string_view(&c, 1));
    auto r = reader.next();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_value());  // not complete yet
  }
  reader.feed("\n");
  auto r = reader.next();
  ASSERT_TRUE(r && r->has_value());
  const auto& array = **r;
  ASSERT_EQ(array.type, reply::kind::array);
  ASSERT_EQ(array.elements.size(), 2u);
  EXPECT_EQ(array.elements[0].text, "hello");
  EXPECT_EQ(array.elements[1].integer, 42);
}

TEST(ReplyReader, PipelinedRepliesComeOneAtATimeInOrder) {
  reply_reader reader;
  reader.feed("+OK\r\n-READONLY You can't write against a read only replica.\r\n$-1\r\n");
  auto first = reader.next();
  ASSERT_TRUE(first && first->has_value());
  EXPECT_EQ((*first)->text, "OK");
  auto second = reader.next();
  ASSERT_TRUE(second && second->has_value());
  EXPECT_TRUE((*second)->is_error());
  EXPECT_TRUE((*second)->text.starts_with("READONLY"));
  auto third = reader.next();
  ASSERT_TRUE(third && third->has_value());
  EXPECT_TRUE((*third)->is_nil());
  auto none = reader.next();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST(ReplyReader, BytesThatAreNotRespAreRefusedUntilReset) {
  reply_reader reader;
  reader.feed("HTTP/1.1 400 Bad Request\r\n");
  EXPECT_EQ(reader.next().error(), errc::unexpected_reply);
  reader.reset();
  reader.feed(":7\r\n");
  auto r = reader.next();
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->integer, 7);
}

}  // namespace
}  // namespace supportd::redis

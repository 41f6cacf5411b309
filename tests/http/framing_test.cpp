#include "http/framing.hpp"

#include <gtest/gtest.h>

namespace supportd::http {
namespace {

TEST(Framing, PlainRequestsPass) {
  EXPECT_FALSE(refuse_framing({11, {}, {}}));
  EXPECT_FALSE(refuse_framing({11, {"42"}, {}}));
  EXPECT_FALSE(refuse_framing({10, {"42"}, {}}));
  EXPECT_FALSE(refuse_framing({11, {}, {"chunked"}}));
  EXPECT_FALSE(refuse_framing({11, {}, {"Chunked"}}));
}

TEST(Framing, LengthWithEncodingIsRefused) {
  EXPECT_TRUE(refuse_framing({11, {"5"}, {"chunked"}}));
}

TEST(Framing, EncodingOtherThanExactlyChunkedIsRefused) {
  EXPECT_TRUE(refuse_framing({11, {}, {"gzip"}}));
  EXPECT_TRUE(refuse_framing({11, {}, {"gzip, chunked"}}));
  EXPECT_TRUE(refuse_framing({11, {}, {"chunked, gzip"}}));
  EXPECT_TRUE(refuse_framing({11, {}, {"chunked", "chunked"}}));
  EXPECT_TRUE(refuse_framing({11, {}, {"xchunked"}}));
}

TEST(Framing, ChunkedInHttp10IsRefused) {
  EXPECT_TRUE(refuse_framing({10, {}, {"chunked"}}));
}

TEST(Framing, SeveralLengthsAreRefused) {
  EXPECT_TRUE(refuse_framing({11, {"5", "5"}, {}}));
  EXPECT_TRUE(refuse_framing({11, {"5, 5"}, {}}));
  EXPECT_TRUE(refuse_framing({11, {"+5"}, {}}));
}

}  // namespace
}  // namespace supportd::http

#include "common/parsed_json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace supportd::common {
namespace {

TEST(ParsedJson, ReadsADocumentIntoMemoryThatIsFreedAllAtOnce) {
  const parsed_json parsed(R"({"id":"cs_test_1","url":"https://checkout.example/c/pay","n":5})");
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(parsed.object(), nullptr);
  EXPECT_EQ(parsed.object()->at("id").as_string(), "cs_test_1");
  EXPECT_EQ(parsed.object()->at("url").as_string(), "https://checkout.example/c/pay");
  EXPECT_EQ(parsed.object()->at("n").as_int64(), 5);
  // An arena, not the heap node by node: its deallocations are no-ops.
  EXPECT_TRUE(parsed.value().storage().is_deallocate_trivial());
}

TEST(ParsedJson, ADocumentLargerThanItsBufferIsReadWhole) {
  std::string text = "[";
  for (int i = 0; i < 5000; ++i) {
    text += (i ? "," : "") + std::string(R"({"line":")") + std::to_string(i) +
            " a string too long to be stored inline\"}";
  }
  text += "]";
  const parsed_json parsed(text);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed.value().is_array());
  const auto& lines = parsed.value().as_array();
  ASSERT_EQ(lines.size(), 5000u);
  EXPECT_EQ(lines[4999].at("line").as_string(), "4999 a string too long to be stored inline");
}

TEST(ParsedJson, WhatIsNotOneDocumentIsNull) {
  for (const char* text : {"", "{", R"({"a":1} {"b":2})", "nul", R"({"a":1,})"}) {
    const parsed_json parsed(text);
    EXPECT_FALSE(parsed.ok()) << text;
    EXPECT_TRUE(parsed.value().is_null()) << text;
    EXPECT_EQ(parsed.object(), nullptr) << text;
  }
}

TEST(ParsedJson, AnyDocumentIsOkButOnlyAnObjectHasOne) {
  const parsed_json array("[1,2]");
  EXPECT_TRUE(array.ok());
  EXPECT_EQ(array.object(), nullptr);
  const parsed_json empty("{}");
  EXPECT_TRUE(empty.ok());
  ASSERT_NE(empty.object(), nullptr);
  EXPECT_TRUE(empty.object()->empty());
}

}  // namespace
}  // namespace supportd::common

#include "http/form.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace supportd::http {
namespace {

TEST(Form, DecodesEscapesAndPlus) {
  EXPECT_EQ(decode_form_component("a%40b.org"), "a@b.org");
  EXPECT_EQ(decode_form_component("Jane+Doe"), "Jane Doe");
  EXPECT_EQ(decode_form_component("100%25"), "100%");
  // Unescaped bytes are taken as they are, as curl -d and hand-written clients send them.
  EXPECT_EQ(decode_form_component("Zo\xc3\xab Doe+%2B1"), "Zo\xc3\xab Doe +1");
  EXPECT_FALSE(decode_form_component("%4"));
  EXPECT_FALSE(decode_form_component("%zz"));
  EXPECT_FALSE(decode_form_component("%"));
}

TEST(Form, FieldsInOrder) {
  std::vector<std::pair<std::string, std::string>> got;
  EXPECT_TRUE(for_each_form_field(
      "a=1&b=&c&&d=x+y", [&](std::string_view k, std::string_view v) { got.emplace_back(k, v); }));
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"a", "1"}, {"b", ""}, {"c", ""}, {"d", "x y"}}));
  EXPECT_FALSE(for_each_form_field("a=%G0", [](std::string_view, std::string_view) {}));
}

TEST(Form, EncodeRoundTrips) {
  const std::string text = "line_items[0][price_data][unit_amount] = 5 & é";
  EXPECT_EQ(encode_form_component("a b&c=d[0]"), "a+b%26c%3Dd%5B0%5D");
  EXPECT_EQ(decode_form_component(encode_form_component(text)), text);
}

}  // namespace
}  // namespace supportd::http

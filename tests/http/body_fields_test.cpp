// The shared reader of public form bodies: what both features' parsers get from it.
#include "http/body_fields.hpp"

#include <gtest/gtest.h>

#include <boost/json/value.hpp>
#include <string>
#include <utility>
#include <vector>

namespace supportd::http {
namespace {

// What a reader was handed, in order: name, then the text or the JSON kind.
struct recorder {
  explicit recorder(const bool& card_number_seen) : flag(&card_number_seen) {}

  std::vector<std::pair<std::string, std::string>> seen;
  // Whether the card number flag was already up when each field was read.
  std::vector<bool> flag_when_read;
  const bool* flag;

  field_reader reader() {
    return [this](std::string_view name, const body_value& value) -> std::optional<field_error> {
      flag_when_read.push_back(*flag);
      std::string what;
      if (value.text) {
        what = "text:" + std::string(*value.text);
      } else if (value.json->is_int64()) {
        what = "int:" + std::to_string(value.json->as_int64());
      } else if (value.json->is_bool()) {
        what = "bool";
      } else {
        what = "other";
      }
      if (value.text && value.json == nullptr) {
        what += " (form)";
      }
      seen.emplace_back(name, what);
      return std::nullopt;
    };
  }
};

using pairs = std::vector<std::pair<std::string, std::string>>;

TEST(BodyFields, JsonMembersGoToTheReaderInOrderWithTheirKind) {
  bool card = false;
  recorder r(card);
  auto error = read_json_body(R"({"b":"two","a":1,"c":true,"d":[1],"e":null})", card, r.reader());
  EXPECT_FALSE(error);
  EXPECT_FALSE(card);
  EXPECT_EQ(
      r.seen,
      (pairs{{"b", "text:two"}, {"a", "int:1"}, {"c", "bool"}, {"d", "other"}, {"e", "other"}}));
}

TEST(BodyFields, AJsonBodyMustBeAnObject) {
  for (auto body : {"", "[1,2]", "\"text\"", "{\"a\":", "42"}) {
    bool card = false;
    recorder r(card);
    auto error = read_json_body(body, card, r.reader());
    ASSERT_TRUE(error) << body;
    EXPECT_EQ(error->field, "body");
    EXPECT_EQ(error->code, "invalid");
    EXPECT_TRUE(r.seen.empty());
  }
}

TEST(BodyFields, JsonCardNumbersAreSeenBeforeAnyFieldAndNeverHandedOn) {
  bool card = false;
  recorder r(card);
  // A card number nested deep, after the fields: the flag is up before the first is read.
  auto error = read_json_body(
      R"({"name":"Jo","cc":"4111 1111 1111 1111","x":{"y":[4242424242424242]}})", card, r.reader());
  EXPECT_FALSE(error);
  EXPECT_TRUE(card);
  EXPECT_EQ(r.flag_when_read, (std::vector<bool>{true, true}));
  // The string is dropped; the object holding a number goes on (the feature decides).
  EXPECT_EQ(r.seen, (pairs{{"name", "text:Jo"}, {"x", "other"}}));
}

TEST(BodyFields, FormFieldsAreDecodedInOrderAndAllText) {
  bool card = false;
  recorder r(card);
  auto error = read_form_body("b=two+words&a=%40&empty=&b=again", card, r.reader());
  EXPECT_FALSE(error);
  EXPECT_EQ(r.seen, (pairs{{"b", "text:two words (form)"},
                           {"a", "text:@ (form)"},
                           {"empty", "text: (form)"},
                           {"b", "text:again (form)"}}));
}

TEST(BodyFields, FormCardNumbersAreDroppedAndFlagged) {
  bool card = false;
  recorder r(card);
  auto error = read_form_body("name=Jo&cc=4111.1111.1111.1111&city=Leeds", card, r.reader());
  EXPECT_FALSE(error);
  EXPECT_TRUE(card);
  EXPECT_EQ(r.seen, (pairs{{"name", "text:Jo (form)"}, {"city", "text:Leeds (form)"}}));
}

TEST(BodyFields, MalformedFormEncodingIsTheBodysError) {
  bool card = false;
  recorder r(card);
  auto error = read_form_body("name=Jo&bad=%G0", card, r.reader());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "body");
  EXPECT_EQ(error->message, "The body is not valid form encoding.");
}

TEST(BodyFields, AFormIsReadToTheEndAndItsFirstErrorReturned) {
  bool card = false;
  int read = 0;
  auto error =
      read_form_body("a=1&b=2&c=4111111111111111", card,
                     [&](std::string_view name, const body_value&) -> std::optional<field_error> {
                       ++read;
                       return field_error{std::string(name), "invalid", "no"};
                     });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "a");
  EXPECT_EQ(read, 2);
  EXPECT_TRUE(card);  // seen after the first error
}

TEST(BodyFields, AJsonBodyStopsAtTheFirstError) {
  bool card = false;
  int read = 0;
  auto error =
      read_json_body(R"({"a":"1","b":"2"})", card,
                     [&](std::string_view name, const body_value&) -> std::optional<field_error> {
                       ++read;
                       return field_error{std::string(name), "invalid", "no"};
                     });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "a");
  EXPECT_EQ(read, 1);
}

struct sample_fields {
  std::string colour;
  std::string size;
};
constexpr text_field<sample_fields> sample_table[] = {
    {"colour", &sample_fields::colour},
    {"size", &sample_fields::size},
};

TEST(BodyFields, TakeTextPlacesKnownTextFieldsAndIgnoresTheRest) {
  sample_fields f;
  EXPECT_FALSE(take_text(sample_table, f, "colour", "red"));
  EXPECT_FALSE(take_text(sample_table, f, "weight", "9 kg"));
  EXPECT_FALSE(take_text(sample_table, f, "size", "L"));
  EXPECT_FALSE(take_text(sample_table, f, "size", "XL"));  // the last value wins
  EXPECT_EQ(f.colour, "red");
  EXPECT_EQ(f.size, "XL");

  // Not text: named, and the slot keeps what it had.
  auto error = take_text(sample_table, f, "colour", "bl\x01ue");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->field, "colour");
  EXPECT_EQ(error->code, "invalid_text");
  EXPECT_EQ(f.colour, "red");
  EXPECT_FALSE(take_text(sample_table, f, "weight", "\xff"));  // unknown: not even checked
}

}  // namespace
}  // namespace supportd::http

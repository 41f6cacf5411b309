// The body of a reader's change to a recurring pledge: JSON or the manage page's form, the same
// fields either way, screened like every public body.
#include "pledges/change_request.hpp"

#include <gtest/gtest.h>

namespace supportd::pledges {
namespace {

change_fields fields_of(const std::variant<change_fields, http::field_error>& parsed) {
  if (const auto* error = std::get_if<http::field_error>(&parsed)) {
    ADD_FAILURE() << error->field << ": " << error->message;
    return {};
  }
  return std::get<change_fields>(parsed);
}

std::string error_of(const std::variant<change_fields, http::field_error>& parsed) {
  const auto* error = std::get_if<http::field_error>(&parsed);
  return error ? error->field + ":" + error->code : "none";
}

TEST(ChangeRequest, FormAndJsonGiveTheSameFields) {
  auto form = fields_of(parse_change_form("amount=7.50&token=1803984397.abc-_&months=2"));
  EXPECT_EQ(form.amount.amount, "7.50");
  EXPECT_FALSE(form.amount.amount_minor);
  EXPECT_EQ(form.months, 2);
  EXPECT_EQ(form.token, "1803984397.abc-_");
  auto json = fields_of(parse_change_json(R"({"amount":"7.50","months":2,"token":"t"})"));
  EXPECT_EQ(json.amount.amount, "7.50");
  EXPECT_EQ(json.months, 2);
  EXPECT_EQ(json.token, "t");
  // Whole numbers as a form writes them, or as JSON numbers.
  EXPECT_EQ(fields_of(parse_change_form("amount_minor=750")).amount.amount_minor, 750);
  EXPECT_EQ(fields_of(parse_change_json(R"({"amount_minor":750})")).amount.amount_minor, 750);
  EXPECT_EQ(fields_of(parse_change_json(R"({"months":"3"})")).months, 3);
}

TEST(ChangeRequest, AnEmptyBodyIsNoFieldsAndUnknownFieldsAreIgnored) {
  auto none = fields_of(parse_change_json(""));
  EXPECT_FALSE(none.months);
  EXPECT_TRUE(none.amount.amount.empty());
  EXPECT_TRUE(fields_of(parse_change_form("")).token.empty());
  EXPECT_EQ(fields_of(parse_change_json(R"({"note":"hi","months":1})")).months, 1);
}

TEST(ChangeRequest, NumbersMustBeWholeNumbers) {
  EXPECT_EQ(error_of(parse_change_form("months=two")), "months:invalid");
  EXPECT_EQ(error_of(parse_change_form("months=-1")), "months:invalid");
  EXPECT_EQ(error_of(parse_change_json(R"({"months":1.5})")), "months:invalid");
  EXPECT_EQ(error_of(parse_change_json(R"({"amount_minor":"7.50"})")), "amount_minor:invalid");
  EXPECT_EQ(error_of(parse_change_json(R"({"amount":7.5})")), "amount:invalid");
  // Too large for int64: the largest, which every range refuses.
  EXPECT_EQ(fields_of(parse_change_form("months=99999999999999999999999")).months,
            std::numeric_limits<std::int64_t>::max());
}

TEST(ChangeRequest, ABodyThatIsNoneOfOursIsOneErrorForTheBody) {
  EXPECT_EQ(error_of(parse_change_json("[1]")), "body:invalid");
  EXPECT_EQ(error_of(parse_change_json("{")), "body:invalid");
  EXPECT_EQ(error_of(parse_change_form("amount=%zz")), "body:invalid");
}

TEST(ChangeRequest, ACardNumberAnywhereIsSeenAndDropped) {
  auto form = fields_of(parse_change_form("amount=4242424242424242&token=t"));
  EXPECT_TRUE(form.card_number_seen);
  EXPECT_TRUE(form.amount.amount.empty());
  auto json = fields_of(parse_change_json(R"({"note":"4242 4242 4242 4242","months":1})"));
  EXPECT_TRUE(json.card_number_seen);
  EXPECT_FALSE(json.months);  // nothing is read from a body that carries one
}

}  // namespace
}  // namespace supportd::pledges

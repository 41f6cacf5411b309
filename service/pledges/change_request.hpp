// The body of a reader's change to a recurring pledge (POST /v1/pledges/{id}/amount, /pause,
// /resume, /payment-method, /cancel): a JSON object, or the manage page's form fields. Both are
// screened as every public body is (http/body_fields.hpp). Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/problem.hpp"
#include "pledges/pledge_amount.hpp"

namespace supportd::pledges {

// The fields as received; absent ones empty. A form sends every value as text: `amount_minor`
// and `months` are taken as whole numbers written in digits too.
struct change_fields {
  amount_fields amount;
  std::optional<std::int64_t> months;
  // A signed link's token (the manage page's form posts it back), when not in the query.
  std::string token;
  // Some field held what looks like a card number (dropped, never kept): refused.
  bool card_number_seen = false;
};

// An empty body is no fields. A body that is not a JSON object (or not form encoding) is one
// error for "body"; a number field that is not a whole number, one for that field.
std::variant<change_fields, http::field_error> parse_change_json(std::string_view body);
std::variant<change_fields, http::field_error> parse_change_form(std::string_view body);

}  // namespace supportd::pledges

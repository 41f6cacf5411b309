// Reading the body of a public form post (a pledge, a reminder sign-up): a JSON object, or an
// HTML form's application/x-www-form-urlencoded fields. Both formats pass the same screening
// here; each feature then places the fields it knows through its own table. Pure: no I/O.
//
// The rules every such body follows:
// - A value that looks like a card number (common/card_screen.hpp) is dropped, never handed on:
//   the caller's `card_number_seen` is set and the request is refused later, naming no value.
// - Fields a feature does not know are ignored (still screened for card numbers).
// - A field sent twice keeps its last value.
// - A known text field must be text (http::is_text): the first that is not is the error.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/field_checks.hpp"
#include "http/problem.hpp"

namespace boost::json {
class value;
}

namespace supportd::http {

// One field of a body as read.
struct body_value {
  // The value when it is text: a form's field (decoded), or a JSON string member.
  std::optional<std::string_view> text;
  // The JSON member as parsed (strings included); null for a form's field.
  const boost::json::value* json = nullptr;
};

// A feature's reading of one field (name and value, in body order): nullopt to go on, or the
// error that refuses the request.
using field_reader =
    std::function<std::optional<field_error>(std::string_view name, const body_value& value)>;

// Reads a JSON object body. Every value in it, nested ones and numbers included, is screened for
// card numbers before any member is read, so `card_number_seen` is final when `read` is first
// called. Stops at the first error. A body that is not a JSON object is the error for "body".
std::optional<field_error> read_json_body(std::string_view body, bool& card_number_seen,
                                          const field_reader& read);

// Reads a form body. Every field is read, even after an error, so that a card number anywhere
// is seen; the first error is returned. A body that is not valid form encoding is the error for
// "body".
std::optional<field_error> read_form_body(std::string_view body, bool& card_number_seen,
                                          const field_reader& read);

// A whole body, JSON or (`form`) form-encoded, read into a feature's `Fields` (which has a
// `bool card_number_seen`) by `place(fields, name, value)`, the feature's own table: the fields,
// or the error that refuses the request.
template <class Fields, class Place>
std::variant<Fields, field_error> read_body_fields(std::string_view body, bool form, Place place) {
  Fields fields;
  const field_reader read = [&](std::string_view name, const body_value& value) {
    return place(fields, name, value);
  };
  auto error = form ? read_form_body(body, fields.card_number_seen, read)
                    : read_json_body(body, fields.card_number_seen, read);
  if (error) {
    return *error;
  }
  return fields;
}

// One text field of a feature's fields struct, by the name a body gives it.
template <class Fields>
struct text_field {
  std::string_view name;
  std::string Fields::*slot;
};

// Puts `value` where `table` says field `name` goes, once it is known to be text; the error for
// that field when it is not. A name the table does not hold is ignored.
template <class Fields, std::size_t N>
std::optional<field_error> take_text(const text_field<Fields> (&table)[N], Fields& fields,
                                     std::string_view name, std::string_view value) {
  for (const auto& field : table) {
    if (field.name != name) {
      continue;
    }
    if (auto error = text_field_error(name, value)) {
      return error;
    }
    fields.*(field.slot) = value;
    break;
  }
  return std::nullopt;
}

}  // namespace supportd::http

#include "http/body_fields.hpp"

#include <boost/json/value.hpp>

#include "common/card_screen.hpp"
#include "common/parsed_json.hpp"
#include "http/form.hpp"

namespace supportd::http {

std::optional<field_error> read_json_body(std::string_view body, bool& card_number_seen,
                                          const field_reader& read) {
  const common::parsed_json parsed(body);
  if (parsed.object() == nullptr) {
    return field_error{"body", "invalid", "The body must be a JSON object."};
  }
  card_number_seen = common::holds_card_number(body, parsed.value());
  for (const auto& [name, member] : *parsed.object()) {
    body_value value{.text = std::nullopt, .json = &member};
    if (member.is_string()) {
      std::string_view text = member.as_string();
      // Seen already (holds_card_number): only dropped here.
      if (common::looks_like_card_number(text)) {
        continue;
      }
      value.text = text;
    }
    if (auto error = read(name, value)) {
      return error;
    }
  }
  return std::nullopt;
}

std::optional<field_error> read_form_body(std::string_view body, bool& card_number_seen,
                                          const field_reader& read) {
  std::optional<field_error> first_error;
  const bool decoded = for_each_form_field(body, [&](std::string_view name, std::string_view text) {
    if (common::looks_like_card_number(text)) {
      card_number_seen = true;
      return;
    }
    auto error = read(name, body_value{.text = text, .json = nullptr});
    if (error && !first_error) {
      first_error = std::move(error);
    }
  });
  if (!decoded) {
    return field_error{"body", "invalid", "The body is not valid form encoding."};
  }
  return first_error;
}

}  // namespace supportd::http

#include "pledges/change_request.hpp"

#include <boost/json/value.hpp>
#include <charconv>
#include <limits>

#include "http/body_fields.hpp"

namespace supportd::pledges {
namespace {

constexpr http::text_field<change_fields> text_fields[] = {
    {"token", &change_fields::token},
};

// A whole number given as text: digits only (no sign, no spaces); one too large for int64 reads
// as the largest, which every range check then refuses.
std::optional<std::int64_t> digits(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return value;
}

// A whole-number field, from a JSON number or from text.
std::optional<http::field_error> read_number(std::optional<std::int64_t>& slot,
                                             std::string_view name, const http::body_value& value) {
  if (value.text) {
    slot = digits(*value.text);
  } else if (value.json->is_int64()) {
    slot = value.json->as_int64();
  } else if (value.json->is_uint64()) {
    slot = std::numeric_limits<std::int64_t>::max();
  } else {
    slot.reset();
  }
  if (!slot) {
    return http::field_error{std::string(name), "invalid",
                             std::string(name) + " must be a whole number."};
  }
  return std::nullopt;
}

std::optional<http::field_error> read_field(change_fields& f, std::string_view name,
                                            const http::body_value& value) {
  if (f.card_number_seen) {
    return std::nullopt;  // refused for that alone; the values are not looked at
  }
  if (name == "amount_minor") {
    return read_number(f.amount.amount_minor, name, value);
  }
  if (name == "months") {
    return read_number(f.months, name, value);
  }
  if (name == "amount") {
    if (!value.text) {
      return http::field_error{
          "amount", "invalid",
          "amount must be a decimal string such as \"5.00\", or use amount_minor."};
    }
    if (auto error = http::text_field_error(name, *value.text)) {
      return error;
    }
    f.amount.amount = *value.text;
    return std::nullopt;
  }
  if (value.text) {
    return http::take_text(text_fields, f, name, *value.text);
  }
  return std::nullopt;
}

}  // namespace

std::variant<change_fields, http::field_error> parse_change_json(std::string_view body) {
  if (body.empty()) {
    return change_fields{};
  }
  return http::read_body_fields<change_fields>(body, false, read_field);
}

std::variant<change_fields, http::field_error> parse_change_form(std::string_view body) {
  return http::read_body_fields<change_fields>(body, true, read_field);
}

}  // namespace supportd::pledges

// Pledge bodies, JSON and form-encoded, through parsing and validation, as pledge_routes reads
// them. Invariants: no stored field holds a card-number-like value; the form fields re-encoded
// parse back to themselves; a valid pledge is within its currency's limits, its amount survives
// formatting and parsing, its address is normalised, and its return URLs are on the allowed
// origin; an invalid one names at least one field.
#include <string>
#include <utility>
#include <variant>

#include "common/card_screen.hpp"
#include "common/money.hpp"
#include "fuzz_check.hpp"
#include "http/form.hpp"
#include "pledges/pledge_request.hpp"

namespace {

using namespace supportd;
using fuzz::expect;
using pledges::pledge_fields;

constexpr std::pair<const char*, std::string pledge_fields::*> text_fields[] = {
    {"amount", &pledge_fields::amount},
    {"currency", &pledge_fields::currency},
    {"interval", &pledge_fields::interval},
    {"email", &pledge_fields::email},
    {"name", &pledge_fields::name},
    {"payment_method", &pledge_fields::payment_method},
    {"campaign", &pledge_fields::campaign},
    {"component", &pledge_fields::component},
    {"page_url", &pledge_fields::page_url},
    {"referrer", &pledge_fields::referrer},
    {"locale", &pledge_fields::locale},
    {"success_url", &pledge_fields::success_url},
    {"cancel_url", &pledge_fields::cancel_url},
};

const pledges::pledge_rules& rules() {
  static const pledges::pledge_rules r{{}, {"https://news.example"}};
  return r;
}

void check_validated(const pledge_fields& f) {
  auto result = pledges::validate(f, rules(), "GB");
  if (auto* errors = std::get_if<std::vector<http::field_error>>(&result)) {
    expect(!errors->empty(), "an invalid pledge names at least one field");
    for (const auto& e : *errors) {
      expect(!e.field.empty() && !e.code.empty(), "every field error has a field and a code");
    }
    return;
  }
  const auto& p = std::get<pledges::valid_pledge>(result);
  expect(!f.card_number_seen, "a pledge with a card number is never valid");
  auto range = rules().limits.range(p.money, p.every);
  expect(
      p.amount_minor > 0 && p.amount_minor >= range.min_minor && p.amount_minor <= range.max_minor,
      "a valid amount is within the currency's limits");
  auto formatted = pledges::format_major_amount(p.amount_minor, p.money);
  expect(pledges::parse_major_amount(formatted, p.money).minor == p.amount_minor,
         "a valid amount survives formatting and parsing");
  expect(pledges::normalize_email(p.email) == p.email, "a valid address is already normalised");
  for (const auto* url : {&p.success_url, &p.cancel_url}) {
    expect(pledges::origin_of(*url) == std::string("https://news.example"),
           "return URLs are on an allowed origin");
  }
}

void check_parsed(const std::variant<pledge_fields, http::field_error>& parsed) {
  if (const auto* error = std::get_if<http::field_error>(&parsed)) {
    // Text that is not UTF-8, or holds control characters, is refused naming its field.
    expect(error->field == "body" || error->field == "amount" || error->field == "amount_minor" ||
               error->code == "invalid_text",
           "a parse error names the body, the amount, or a field that is not text");
    return;
  }
  const auto& f = std::get<pledge_fields>(parsed);
  std::string reencoded;
  for (const auto& [name, member] : text_fields) {
    expect(!common::looks_like_card_number(f.*member), "no stored field looks like a card number");
    if (!(f.*member).empty()) {
      reencoded += reencoded.empty() ? "" : "&";
      reencoded += std::string(name) + "=" + http::encode_form_component(f.*member);
    }
  }
  auto again = pledges::parse_form_fields(reencoded);
  const auto* same = std::get_if<pledge_fields>(&again);
  expect(same != nullptr, "re-encoded fields parse");
  for (const auto& [name, member] : text_fields) {
    expect((*same).*member == f.*member, "re-encoded fields parse back to themselves");
  }
  check_validated(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = fuzz::as_text(data, size);
  check_parsed(pledges::parse_json_fields(body));
  check_parsed(pledges::parse_form_fields(body));
  return 0;
}

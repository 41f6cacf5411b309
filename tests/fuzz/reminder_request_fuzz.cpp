// "Remind me later" bodies, JSON and form-encoded, through parsing and validation, as
// reminder_routes reads them. Invariants: no stored field holds a card-number-like value; the
// form fields re-encoded parse back to themselves; a valid reminder is due in the future and
// within two years (on the reader's wall clock), in a zone that exists, every 0 to 24 months,
// with consent and a normalised address; an invalid one names at least one field.
#include <algorithm>
#include <string>
#include <utility>
#include <variant>

#include "common/card_screen.hpp"
#include "fuzz_check.hpp"
#include "http/field_checks.hpp"
#include "http/form.hpp"
#include "reminders/reminder_request.hpp"
#include "reminders/schedule.hpp"
#include "reminders/time_zone.hpp"

namespace {

using namespace supportd;
using fuzz::expect;
using reminders::reminder_fields;

constexpr std::int64_t now_unix = 1700000000;  // 2023-11-14T22:13:20Z

constexpr std::pair<const char*, std::string reminder_fields::*> text_fields[] = {
    {"email", &reminder_fields::email},
    {"remind_in", &reminder_fields::remind_in},
    {"remind_at", &reminder_fields::remind_at},
    {"time_zone", &reminder_fields::time_zone},
    {"every_months", &reminder_fields::every_months},
    {"campaign", &reminder_fields::campaign},
    {"component", &reminder_fields::component},
    {"page_url", &reminder_fields::page_url},
    {"locale", &reminder_fields::locale},
    {"consent", &reminder_fields::consent},
    {"consent_version", &reminder_fields::consent_version},
};

void check_validated(const reminder_fields& f) {
  const reminders::reminder_rules rules{.local_hour = 9, .default_time_zone = "Europe/London"};
  auto result = reminders::validate(f, rules, now_unix);
  if (auto* errors = std::get_if<std::vector<http::field_error>>(&result)) {
    expect(!errors->empty(), "an invalid reminder names at least one field");
    for (const auto& e : *errors) {
      expect(!e.field.empty() && !e.code.empty(), "every field error has a field and a code");
    }
    return;
  }
  const auto& r = std::get<reminders::valid_reminder>(result);
  expect(!f.card_number_seen, "a sign-up with a card number is never valid");
  expect(f.consent == "true" && !f.consent_not_boolean, "a valid reminder has consent");
  expect(http::is_token(r.consent_version) && !r.consent_version.empty(),
         "a valid reminder names its consent wording");
  expect(http::normalize_email(r.email) == r.email, "a valid address is already normalised");
  expect(r.every_months >= 0 && r.every_months <= 24, "a reminder recurs every 0 to 24 months");
  auto zone = reminders::time_zone::find(r.time_zone);
  expect(zone != nullptr, "a valid reminder's zone exists");
  auto latest = std::max(reminders::add_duration(now_unix, {.years = 2}),
                         reminders::add_months_local(now_unix, 24, *zone));
  expect(r.due_unix > now_unix && r.due_unix <= latest,
         "a valid reminder is due in the future and within two years");
}

void check_parsed(const std::variant<reminder_fields, http::field_error>& parsed) {
  if (const auto* error = std::get_if<http::field_error>(&parsed)) {
    // Text that is not UTF-8, or holds control characters, is refused naming its field.
    expect(error->field == "body" || error->code == "invalid_text",
           "a parse error names the body, or a field that is not text");
    return;
  }
  const auto& f = std::get<reminder_fields>(parsed);
  std::string reencoded;
  for (const auto& [name, member] : text_fields) {
    expect(!common::looks_like_card_number(f.*member), "no stored field looks like a card number");
    if (!(f.*member).empty()) {
      reencoded += reencoded.empty() ? "" : "&";
      reencoded += std::string(name) + "=" + http::encode_form_component(f.*member);
    }
  }
  auto again = reminders::parse_form_fields(reencoded);
  const auto* same = std::get_if<reminder_fields>(&again);
  expect(same != nullptr, "re-encoded fields parse");
  for (const auto& [name, member] : text_fields) {
    expect((*same).*member == f.*member, "re-encoded fields parse back to themselves");
  }
  check_validated(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = fuzz::as_text(data, size);
  check_parsed(reminders::parse_json_fields(body));
  check_parsed(reminders::parse_form_fields(body));
  return 0;
}

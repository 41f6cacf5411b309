// A "remind me later" sign-up as posted by the site (JSON or a plain HTML form), and its
// validation into a due time. Pure: no I/O; the clock is a parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/problem.hpp"

namespace supportd::reminders {

using http::field_error;

// The fields exactly as received; absent fields are empty.
struct reminder_fields {
  std::string email;
  std::string remind_in;     // ISO 8601 duration: P1D, P7D, P1M, PT30S
  std::string remind_at;     // RFC 3339 instant, or a date delivered at the local hour
  std::string time_zone;     // IANA name, for dates and recurring reminders
  std::string every_months;  // a recurring reminder: 1 to 24
  std::string campaign;
  std::string component;
  std::string variant;
  std::string page_url;
  std::string locale;
  std::string consent;  // JSON true, or a form's "on"/"true"
  // JSON sent consent as something other than a boolean ("yes", "true").
  bool consent_not_boolean = false;
  std::string consent_version;
  // True when some field held what looks like a card number; the value itself is dropped.
  bool card_number_seen = false;
};

std::variant<reminder_fields, field_error> parse_json_fields(std::string_view body);
std::variant<reminder_fields, field_error> parse_form_fields(std::string_view body);

struct reminder_rules {
  // A date without a time is delivered at this hour of the reader's day.
  int local_hour = 9;
  // The default zone for dates and recurring reminders when the reader names none.
  std::string default_time_zone = "UTC";
  // Exact origins ("https://news.example") page_url may be on: the CORS list.
  std::vector<std::string> allowed_origins;
};

struct valid_reminder {
  std::string email;  // trimmed, lower-cased
  std::string campaign;
  std::string component;
  std::string variant;
  std::string page_url;
  std::string locale;
  std::string consent_version;
  std::int64_t due_unix = 0;
  int every_months = 0;  // 0: once
  std::string time_zone;
};

// Every problem with every field, or the reminder to schedule. A due time must be in the
// future and at most two years ahead of `now_unix`.
std::variant<valid_reminder, std::vector<field_error>> validate(const reminder_fields& fields,
                                                                const reminder_rules& rules,
                                                                std::int64_t now_unix);

}  // namespace supportd::reminders

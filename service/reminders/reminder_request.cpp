#include "reminders/reminder_request.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "http/body_fields.hpp"
#include "http/field_checks.hpp"
#include "reminders/schedule.hpp"
#include "reminders/time_zone.hpp"

namespace supportd::reminders {
namespace {

using http::is_locale;
using http::is_token;
using http::printable;

constexpr std::size_t max_url = 2000;
constexpr int max_every_months = 24;

// The text fields of a reminder sign-up, as both body formats name them.
constexpr http::text_field<reminder_fields> text_fields[] = {
    {"email", &reminder_fields::email},
    {"remind_in", &reminder_fields::remind_in},
    {"remind_at", &reminder_fields::remind_at},
    {"time_zone", &reminder_fields::time_zone},
    {"every_months", &reminder_fields::every_months},
    {"campaign", &reminder_fields::campaign},
    {"component", &reminder_fields::component},
    {"variant", &reminder_fields::variant},
    {"page_url", &reminder_fields::page_url},
    {"locale", &reminder_fields::locale},
    {"consent", &reminder_fields::consent},
    {"consent_version", &reminder_fields::consent_version},
};

std::optional<field_error> read_field(reminder_fields& f, std::string_view name,
                                      const http::body_value& value) {
  const auto* member = value.json;
  // JSON's consent is a boolean: the string "true" is not the reader ticking a box.
  if (member != nullptr && name == "consent") {
    if (member->is_bool()) {
      f.consent = member->as_bool() ? "true" : "false";
    } else if (member->is_string()) {
      f.consent_not_boolean = true;
    }
    return std::nullopt;
  }
  if (value.text) {
    return http::take_text(text_fields, f, name, *value.text);
  }
  if (name == "every_months" && member->is_number() && !f.card_number_seen) {
    f.every_months = boost::json::serialize(*member);
  }
  return std::nullopt;
}

std::optional<int> parse_small_int(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// When the reminder is due: exactly one of remind_in and remind_at, or neither for a recurring
// reminder (the first one then comes after its interval), within two years. nullopt with the
// error added to `errors`, or with none when the zone is unknown (its own error says so).
std::optional<std::int64_t> due_unix(const reminder_fields& f, int every_months,
                                     const reminder_rules& rules, const time_zone* zone,
                                     std::int64_t now_unix, std::vector<field_error>& errors) {
  std::optional<std::int64_t> due;
  if (!f.remind_in.empty() && !f.remind_at.empty()) {
    errors.push_back({"remind_at", "invalid", "Give remind_in or remind_at, not both."});
  } else if (!f.remind_in.empty()) {
    if (auto d = parse_iso_duration(f.remind_in)) {
      due = add_duration(now_unix, *d);
    } else {
      errors.push_back({"remind_in", "invalid",
                        "remind_in must be an ISO 8601 duration such as P7D, P1M or PT1H."});
    }
  } else if (!f.remind_at.empty()) {
    if (auto instant = parse_rfc3339(f.remind_at)) {
      due = *instant;
    } else if (auto date = parse_date(f.remind_at)) {
      if (zone) {
        due = at_local_hour(*date, rules.local_hour, *zone);
      }
    } else {
      errors.push_back({"remind_at", "invalid",
                        "remind_at must be an RFC 3339 time (2027-01-05T09:00:00Z) or a date "
                        "(2027-01-05)."});
    }
  } else if (every_months > 0) {
    if (zone) {
      due = add_months_local(now_unix, every_months, *zone);
    }
  } else if (f.every_months.empty()) {
    errors.push_back({"remind_in", "required", "Say when: remind_in, remind_at or every_months."});
  }
  if (due) {
    // Two years ahead, on the wall clock of the reader's zone too: 24 months at the same local
    // time may fall an hour past two UTC years when DST differs between the two dates.
    auto latest = add_duration(now_unix, iso_duration{.years = 2});
    if (zone) {
      latest = std::max(latest, add_months_local(now_unix, max_every_months, *zone));
    }
    const char* field = !f.remind_in.empty()   ? "remind_in"
                        : !f.remind_at.empty() ? "remind_at"
                                               : "every_months";
    if (*due <= now_unix) {
      errors.push_back({field, "too_soon", "The reminder must be due in the future."});
    } else if (*due > latest) {
      errors.push_back({field, "too_late", "The reminder must be due within two years."});
    } else {
      return due;
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<reminder_fields, field_error> parse_json_fields(std::string_view body) {
  return http::read_body_fields<reminder_fields>(body, false, read_field);
}

std::variant<reminder_fields, field_error> parse_form_fields(std::string_view body) {
  auto read = http::read_body_fields<reminder_fields>(body, true, read_field);
  // A checked HTML checkbox sends "on".
  if (auto* f = std::get_if<reminder_fields>(&read); f && f->consent == "on") {
    f->consent = "true";
  }
  return read;
}

std::variant<valid_reminder, std::vector<field_error>> validate(const reminder_fields& f,
                                                                const reminder_rules& rules,
                                                                std::int64_t now_unix) {
  std::vector<field_error> errors;
  valid_reminder r;

  if (f.card_number_seen) {
    errors.push_back(http::card_number_error());
  }

  if (f.email.empty()) {
    errors.push_back({"email", "required", "email is required."});
  } else if (auto email = http::normalize_email(f.email)) {
    r.email = std::move(*email);
  } else {
    errors.push_back({"email", "invalid", "email is not a valid address."});
  }

  if (f.consent_not_boolean) {
    errors.push_back({"consent", "invalid", "consent must be the JSON value true."});
  } else if (f.consent != "true") {
    errors.push_back(
        {"consent", "required", "consent must be given (true) before we may email a reminder."});
  }
  if (f.consent_version.empty()) {
    errors.push_back(
        {"consent_version", "required", "consent_version names the wording the reader agreed to."});
  } else if (!is_token(f.consent_version)) {
    errors.push_back({"consent_version", "invalid", "consent_version must be a short identifier."});
  } else {
    r.consent_version = f.consent_version;
  }

  for (auto [value, field] :
       {std::pair{&f.campaign, "campaign"}, std::pair{&f.component, "component"},
        std::pair{&f.variant, "variant"}}) {
    if (!is_token(*value)) {
      errors.push_back({field, "invalid", std::string(field) + " must be a short identifier."});
    }
  }
  r.campaign = f.campaign;
  r.component = f.component;
  r.variant = f.variant;
  if (f.page_url.size() > max_url || !printable(f.page_url)) {
    errors.push_back(
        {"page_url", "invalid",
         "page_url must be at most " + std::to_string(max_url) + " printable characters."});
  } else if (auto error = f.page_url.empty() ? std::nullopt
                                             : http::page_url_error("page_url", f.page_url,
                                                                    rules.allowed_origins)) {
    // The page goes into the reader's delivery: a javascript: URL or another site's page
    // must not reach an inbox as ours.
    errors.push_back(std::move(*error));
  } else {
    r.page_url = f.page_url;
  }
  if (!f.locale.empty() && !is_locale(f.locale)) {
    errors.push_back({"locale", "invalid", "locale must be a language tag such as en-GB."});
  } else {
    r.locale = f.locale;
  }

  // The zone: the reader's, else the configured default.
  r.time_zone = f.time_zone.empty() ? rules.default_time_zone : f.time_zone;
  auto zone = time_zone::find(r.time_zone);
  if (!zone) {
    errors.push_back(
        {"time_zone", "invalid", "time_zone must be an IANA time zone such as Europe/London."});
  }

  if (!f.every_months.empty()) {
    auto months = parse_small_int(f.every_months);
    if (!months || *months < 1 || *months > max_every_months) {
      errors.push_back({"every_months", "invalid",
                        "every_months must be a whole number from 1 to " +
                            std::to_string(max_every_months) + "."});
    } else {
      r.every_months = *months;
    }
  }

  if (auto due = due_unix(f, r.every_months, rules, zone.get(), now_unix, errors)) {
    r.due_unix = *due;
  }

  if (!errors.empty()) {
    return errors;
  }
  return r;
}

}  // namespace supportd::reminders

#include "reminders/reminder_request.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace supportd::reminders {
namespace {

// Instants below were computed by hand with `date -u -d <time> +%s` (and `TZ=<zone> date -d`
// for local times), not with the code under test.
constexpr std::int64_t jan_10_2027_noon_utc = 1799582400;     // 2027-01-10T12:00:00Z
constexpr std::int64_t jan_17_2027_noon_utc = 1800187200;     // 2027-01-17T12:00:00Z
constexpr std::int64_t jan_31_2027_10_utc = 1801389600;       // 2027-01-31T10:00:00Z
constexpr std::int64_t feb_7_2027_10_utc = 1801994400;        // 2027-02-07T10:00:00Z
constexpr std::int64_t feb_28_2027_10_utc = 1803808800;       // 2027-02-28T10:00:00Z
constexpr std::int64_t jan_31_2028_10_utc = 1832925600;       // 2028-01-31T10:00:00Z
constexpr std::int64_t feb_29_2028_10_utc = 1835431200;       // 2028-02-29T10:00:00Z
constexpr std::int64_t mar_14_2027_09_utc = 1805014800;       // 2027-03-14T09:00:00Z
constexpr std::int64_t mar_14_2027_08_utc = 1805011200;       // 2027-03-14T08:00:00Z
constexpr std::int64_t mar_14_2027_09_new_york = 1805029200;  // 13:00Z, EDT began that day
constexpr std::int64_t mar_14_2027_07_new_york = 1805022000;  // 11:00Z
constexpr std::int64_t mar_14_2027_03_new_york = 1805007600;  // 07:00Z, just after the gap
constexpr std::int64_t mar_13_2027_09_new_york = 1804946400;  // 14:00Z, still EST
constexpr std::int64_t jun_1_2027_09_london = 1811836800;     // 08:00Z, BST
constexpr std::int64_t jun_1_2027_09_utc = 1811840400;        // 2027-06-01T09:00:00Z
constexpr std::int64_t apr_10_2027_noon_utc = 1807358400;     // 2027-04-10T12:00:00Z
constexpr std::int64_t apr_10_2027_07_new_york = 1807354800;  // 11:00Z, EDT
constexpr std::int64_t jan_10_2029_noon_utc = 1862740800;     // 2029-01-10T12:00:00Z

reminder_rules utc_rules() {
  reminder_rules r;
  r.allowed_origins = {"https://news.example"};
  return r;
}

// A sign-up that validates at jan_10_2027_noon_utc: due a week later.
reminder_fields good() {
  reminder_fields f;
  f.email = "reader@example.org";
  f.remind_in = "P7D";
  f.campaign = "winter-2026";
  f.component = "banner";
  f.page_url = "https://news.example/story/1";
  f.locale = "en-GB";
  f.consent = "true";
  f.consent_version = "reminder-v1";
  return f;
}

valid_reminder must_validate(const reminder_fields& f, std::int64_t now,
                             const reminder_rules& rules = utc_rules()) {
  auto result = validate(f, rules, now);
  if (auto* errors = std::get_if<std::vector<field_error>>(&result)) {
    std::string all;
    for (const auto& e : *errors) {
      all += e.field + ":" + e.code + " ";
    }
    ADD_FAILURE() << "expected a valid reminder, got " << all;
    return {};
  }
  return std::get<valid_reminder>(result);
}

// "field:code" for every error, in the order reported; empty when the reminder is valid.
std::vector<std::string> errors_of(const reminder_fields& f,
                                   std::int64_t now = jan_10_2027_noon_utc,
                                   const reminder_rules& rules = utc_rules()) {
  auto result = validate(f, rules, now);
  std::vector<std::string> names;
  if (auto* errors = std::get_if<std::vector<field_error>>(&result)) {
    for (const auto& e : *errors) {
      names.push_back(e.field + ":" + e.code);
    }
  }
  return names;
}

reminder_fields must_parse_json(std::string_view body) {
  auto parsed = parse_json_fields(body);
  if (auto* error = std::get_if<field_error>(&parsed)) {
    ADD_FAILURE() << "JSON refused: " << error->field << ":" << error->code;
    return {};
  }
  return std::get<reminder_fields>(parsed);
}

reminder_fields must_parse_form(std::string_view body) {
  auto parsed = parse_form_fields(body);
  if (auto* error = std::get_if<field_error>(&parsed)) {
    ADD_FAILURE() << "form refused: " << error->field << ":" << error->code;
    return {};
  }
  return std::get<reminder_fields>(parsed);
}

std::vector<std::string> all_text(const reminder_fields& f) {
  return {f.email,     f.remind_in, f.remind_at, f.time_zone, f.every_months,   f.campaign,
          f.component, f.page_url,  f.locale,    f.consent,   f.consent_version};
}

// --- Parsing -------------------------------------------------------------------------------

TEST(ReminderRequest, JsonFieldsAreReadAsGiven) {
  auto f = must_parse_json(
      R"({"email":" Reader@Example.org","remind_at":"2027-03-14","time_zone":"America/New_York",)"
      R"("every_months":3,"campaign":"winter-2026","component":"banner",)"
      R"("page_url":"https://news.example/a?b=1","locale":"en-US","consent":true,)"
      R"("consent_version":"v2","unknown":"ignored"})");
  EXPECT_EQ(f.email, " Reader@Example.org");
  EXPECT_EQ(f.remind_at, "2027-03-14");
  EXPECT_EQ(f.time_zone, "America/New_York");
  EXPECT_EQ(f.every_months, "3");
  EXPECT_EQ(f.campaign, "winter-2026");
  EXPECT_EQ(f.component, "banner");
  EXPECT_EQ(f.page_url, "https://news.example/a?b=1");
  EXPECT_EQ(f.locale, "en-US");
  EXPECT_EQ(f.consent, "true");
  EXPECT_EQ(f.consent_version, "v2");
  EXPECT_TRUE(f.remind_in.empty());
  EXPECT_FALSE(f.card_number_seen);
}

TEST(ReminderRequest, JsonConsentMustBeTheBooleanTrue) {
  EXPECT_EQ(must_parse_json(R"({"consent":true})").consent, "true");

  // A string is refused as invalid, next to every other bad field.
  auto as_string = must_parse_json(R"({"consent":"true","email":"nope"})");
  auto f = good();
  f.email = as_string.email;
  f.consent = as_string.consent;
  f.consent_not_boolean = as_string.consent_not_boolean;
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"email:invalid", "consent:invalid"}));

  // false, or a number, is no consent: validation then asks for it.
  for (auto body : {R"({"consent":false})", R"({"consent":1})", R"({})"}) {
    auto f = good();
    auto parsed = must_parse_json(body);
    f.consent = parsed.consent;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"consent:required"})) << body;
  }
}

TEST(ReminderRequest, JsonEveryMonthsAsANumberOrAString) {
  EXPECT_EQ(must_parse_json(R"({"every_months":12})").every_months, "12");
  EXPECT_EQ(must_parse_json(R"({"every_months":"6"})").every_months, "6");
}

TEST(ReminderRequest, JsonThatIsNotAnObjectIsRefused) {
  for (auto body : {"", "[]", "\"x\"", "{\"email\":", "42"}) {
    auto parsed = parse_json_fields(body);
    ASSERT_TRUE(std::holds_alternative<field_error>(parsed)) << body;
    EXPECT_EQ(std::get<field_error>(parsed).field, "body") << body;
    EXPECT_EQ(std::get<field_error>(parsed).code, "invalid") << body;
  }
}

TEST(ReminderRequest, FormFieldsAreDecoded) {
  auto f = must_parse_form(
      "email=Reader%40Example.org&remind_at=2027-03-14&time_zone=America%2FNew_York"
      "&every_months=3&campaign=winter-2026&component=banner"
      "&page_url=https%3A%2F%2Fnews.example%2Fa%3Fb%3D1&locale=en-US&consent=true"
      "&consent_version=v2");
  EXPECT_EQ(f.email, "Reader@Example.org");
  EXPECT_EQ(f.remind_at, "2027-03-14");
  EXPECT_EQ(f.time_zone, "America/New_York");
  EXPECT_EQ(f.every_months, "3");
  EXPECT_EQ(f.campaign, "winter-2026");
  EXPECT_EQ(f.page_url, "https://news.example/a?b=1");
  EXPECT_EQ(f.locale, "en-US");
  EXPECT_EQ(f.consent, "true");
  EXPECT_EQ(f.consent_version, "v2");
}

TEST(ReminderRequest, FormCheckboxOnOrTrueIsConsent) {
  EXPECT_EQ(must_parse_form("consent=on").consent, "true");
  EXPECT_EQ(must_parse_form("consent=true").consent, "true");
  for (auto body : {"consent=yes", "consent=", "consent=1", "consent=off", "email=x"}) {
    auto f = good();
    f.consent = must_parse_form(body).consent;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"consent:required"})) << body;
  }
}

TEST(ReminderRequest, FormSignUpValidates) {
  auto f = must_parse_form(
      "email=reader%40example.org&remind_in=P7D&campaign=winter-2026&consent=on"
      "&consent_version=v1");
  auto r = must_validate(f, jan_10_2027_noon_utc);
  EXPECT_EQ(r.email, "reader@example.org");
  EXPECT_EQ(r.due_unix, jan_17_2027_noon_utc);
}

TEST(ReminderRequest, TheVariantIsAttributionWithTheCampaignsRules) {
  auto f = good();
  f.variant = "from-2";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).variant, "from-2");
  EXPECT_EQ(must_parse_json(R"({"variant":"b"})").variant, "b");
  f.variant = "two words";
  EXPECT_EQ(errors_of(f), std::vector<std::string>{"variant:invalid"});
}

// --- Email and consent ---------------------------------------------------------------------

TEST(ReminderRequest, AGoodSignUpKeepsItsFields) {
  auto r = must_validate(good(), jan_10_2027_noon_utc);
  EXPECT_EQ(r.email, "reader@example.org");
  EXPECT_EQ(r.campaign, "winter-2026");
  EXPECT_EQ(r.component, "banner");
  EXPECT_EQ(r.page_url, "https://news.example/story/1");
  EXPECT_EQ(r.locale, "en-GB");
  EXPECT_EQ(r.consent_version, "reminder-v1");
  EXPECT_EQ(r.every_months, 0);
  EXPECT_EQ(r.time_zone, "UTC");
}

TEST(ReminderRequest, EmailIsTrimmedAndLowerCased) {
  auto f = good();
  f.email = " \t Reader.Name@Example.ORG \r\n";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).email, "reader.name@example.org");
}

TEST(ReminderRequest, EmailIsRequiredAndMustLookLikeAnAddress) {
  auto f = good();
  f.email = "";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"email:required"}));
  for (auto bad :
       {"not-an-email", "@example.org", "reader@", "reader@example", "two@at@example.org",
        "reader@example..org", "a b@example.org", "reader@.example.org"}) {
    f.email = bad;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"email:invalid"})) << bad;
  }
}

TEST(ReminderRequest, ConsentIsRequired) {
  auto f = good();
  f.consent = "";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"consent:required"}));
  f.consent = "false";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"consent:required"}));
}

TEST(ReminderRequest, ConsentVersionIsRequiredAndAShortIdentifier) {
  auto f = good();
  f.consent_version = "";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"consent_version:required"}));
  f.consent_version = "v 1";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"consent_version:invalid"}));
  f.consent_version = std::string(65, 'v');
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"consent_version:invalid"}));
  f.consent_version = "2027-01/en.v3_b";
  EXPECT_TRUE(errors_of(f).empty());
}

// --- When ----------------------------------------------------------------------------------

TEST(ReminderRequest, RemindInDaysCountsFromNow) {
  auto f = good();
  f.remind_in = "P7D";
  EXPECT_EQ(must_validate(f, jan_31_2027_10_utc).due_unix, feb_7_2027_10_utc);
  f.remind_in = "P1W";
  EXPECT_EQ(must_validate(f, jan_31_2027_10_utc).due_unix, feb_7_2027_10_utc);
  f.remind_in = "PT1H";
  EXPECT_EQ(must_validate(f, jan_31_2027_10_utc).due_unix, jan_31_2027_10_utc + 3600);
}

TEST(ReminderRequest, RemindInAMonthClampsToTheMonthsLastDay) {
  auto f = good();
  f.remind_in = "P1M";
  EXPECT_EQ(must_validate(f, jan_31_2027_10_utc).due_unix, feb_28_2027_10_utc);
  EXPECT_EQ(must_validate(f, jan_31_2028_10_utc).due_unix, feb_29_2028_10_utc);  // a leap year
}

TEST(ReminderRequest, RemindInMustBeAnIsoDuration) {
  auto f = good();
  for (auto bad : {"7 days", "p7d", "P", "P-1D", "7", "PT"}) {
    f.remind_in = bad;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_in:invalid"})) << bad;
  }
}

TEST(ReminderRequest, RemindAtAnInstant) {
  auto f = good();
  f.remind_in = "";
  f.remind_at = "2027-03-14T09:00:00Z";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, mar_14_2027_09_utc);
  f.remind_at = "2027-03-14T09:00:00+01:00";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, mar_14_2027_08_utc);
  // An instant is an instant: the reader's zone does not move it.
  f.time_zone = "America/New_York";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, mar_14_2027_08_utc);
}

TEST(ReminderRequest, RemindAtADateInTheReadersZoneAcrossTheDstChange) {
  auto f = good();
  f.remind_in = "";
  f.remind_at = "2027-03-14";  // US daylight saving time begins that morning
  f.time_zone = "America/New_York";
  auto r = must_validate(f, jan_10_2027_noon_utc);
  EXPECT_EQ(r.due_unix, mar_14_2027_09_new_york);
  EXPECT_EQ(r.time_zone, "America/New_York");

  f.remind_at = "2027-03-13";  // the day before: still EST
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, mar_13_2027_09_new_york);
}

TEST(ReminderRequest, RemindAtADateUsesTheConfiguredHour) {
  auto f = good();
  f.remind_in = "";
  f.remind_at = "2027-03-14";
  f.time_zone = "America/New_York";
  reminder_rules rules = utc_rules();
  rules.local_hour = 7;
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc, rules).due_unix, mar_14_2027_07_new_york);
  // 02:00 does not exist that day in New York: the reminder comes at 03:00 EDT instead.
  rules.local_hour = 2;
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc, rules).due_unix, mar_14_2027_03_new_york);
}

TEST(ReminderRequest, ADateWithoutAZoneUsesTheDefaultZone) {
  auto f = good();
  f.remind_in = "";
  f.remind_at = "2027-06-01";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, jun_1_2027_09_utc);

  reminder_rules rules = utc_rules();
  rules.default_time_zone = "Europe/London";
  auto r = must_validate(f, jan_10_2027_noon_utc, rules);
  EXPECT_EQ(r.due_unix, jun_1_2027_09_london);
  EXPECT_EQ(r.time_zone, "Europe/London");
}

TEST(ReminderRequest, UnknownTimeZoneIsInvalid) {
  auto f = good();
  for (auto bad : {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "America/"}) {
    f.time_zone = bad;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"time_zone:invalid"})) << bad;
  }
  // With a date to place in it, still only the zone is blamed.
  f.remind_in = "";
  f.remind_at = "2027-03-14";
  f.time_zone = "Mars/Olympus_Mons";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"time_zone:invalid"}));
}

TEST(ReminderRequest, RemindAtMustBeAnInstantOrADate) {
  auto f = good();
  f.remind_in = "";
  for (auto bad : {"tomorrow", "2027-02-30", "2027-3-14", "14/03/2027", "2027-03-14T25:00:00Z",
                   "2027-03-14T09:00:00"}) {
    f.remind_at = bad;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_at:invalid"})) << bad;
  }
}

TEST(ReminderRequest, RemindInAndRemindAtTogetherAreRefused) {
  auto f = good();
  f.remind_in = "P7D";
  f.remind_at = "2027-03-14T09:00:00Z";
  auto errors = errors_of(f);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0] == "remind_at:invalid" || errors[0] == "remind_in:invalid") << errors[0];
}

TEST(ReminderRequest, WithoutAnyWhenRemindInIsRequired) {
  auto f = good();
  f.remind_in = "";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_in:required"}));
}

TEST(ReminderRequest, EveryMonthsAloneIsFirstDueThatManyMonthsAhead) {
  auto f = good();
  f.remind_in = "";
  f.every_months = "3";
  auto r = must_validate(f, jan_10_2027_noon_utc);
  EXPECT_EQ(r.every_months, 3);
  EXPECT_EQ(r.due_unix, apr_10_2027_noon_utc);

  // In the reader's zone the wall-clock time is kept: 07:00 EST in January, 07:00 EDT in April.
  f.time_zone = "America/New_York";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, apr_10_2027_07_new_york);
}

TEST(ReminderRequest, EveryTwentyFourMonthsIsAcceptedOnAnyDay) {
  // 24 is the largest interval offered, so it must be accepted whatever the day. Two years
  // after Saturday 2027-11-06 12:00 EDT (16:00Z), New York clocks show 12:00 EST (17:00Z) on
  // 2029-11-06: one hour later than two years of UTC, because DST ends a week earlier in 2029.
  constexpr std::int64_t nov_6_2027_noon_new_york = 1825516800;  // 2027-11-06T16:00:00Z
  constexpr std::int64_t nov_6_2029_noon_new_york = 1888678800;  // 2029-11-06T17:00:00Z
  auto f = good();
  f.remind_in = "";
  f.every_months = "24";
  f.time_zone = "America/New_York";
  auto r = must_validate(f, nov_6_2027_noon_new_york);
  EXPECT_EQ(r.every_months, 24);
  EXPECT_EQ(r.due_unix, nov_6_2029_noon_new_york);
}

TEST(ReminderRequest, EveryMonthsWithAFirstDate) {
  auto f = good();
  f.remind_in = "";
  f.remind_at = "2027-03-14T09:00:00Z";
  f.every_months = "12";
  auto r = must_validate(f, jan_10_2027_noon_utc);
  EXPECT_EQ(r.every_months, 12);
  EXPECT_EQ(r.due_unix, mar_14_2027_09_utc);
}

TEST(ReminderRequest, EveryMonthsIsAWholeNumberFromOneTo24) {
  auto f = good();
  for (auto bad : {"0", "25", "x", "-1", "3.5", " 3", "+3", "1e1", "99999999999"}) {
    f.every_months = bad;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"every_months:invalid"})) << bad;
  }
  f.every_months = "1";
  EXPECT_TRUE(errors_of(f).empty());
  f.every_months = "24";
  EXPECT_TRUE(errors_of(f).empty());

  // Alone and invalid: only every_months is blamed, not a missing remind_in.
  f.remind_in = "";
  f.every_months = "0";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"every_months:invalid"}));

  auto json = must_parse_json(R"({"every_months":0})");
  f.every_months = json.every_months;
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"every_months:invalid"}));
  f.every_months = must_parse_json(R"({"every_months":2.5})").every_months;
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"every_months:invalid"}));
}

TEST(ReminderRequest, ADueTimeInThePastIsTooSoon) {
  auto f = good();
  f.remind_in = "";
  f.remind_at = "2026-12-31T23:59:59Z";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_at:too_soon"}));
  f.remind_at = "2027-01-10T12:00:00Z";  // exactly now is not the future either
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_at:too_soon"}));
  f.remind_at = "2027-01-10";  // today 09:00 UTC, three hours ago
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_at:too_soon"}));
  f.remind_at = "2027-01-10T12:00:01Z";
  EXPECT_TRUE(errors_of(f).empty());
}

TEST(ReminderRequest, MoreThanTwoYearsAheadIsTooLate) {
  auto f = good();
  f.remind_in = "";
  f.remind_at = "2029-01-10T12:00:00Z";  // exactly two years: accepted
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, jan_10_2029_noon_utc);
  f.remind_at = "2029-01-10T12:00:01Z";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_at:too_late"}));

  f.remind_at = "";
  f.remind_in = "P2Y";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, jan_10_2029_noon_utc);
  f.remind_in = "P24M";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, jan_10_2029_noon_utc);
  f.remind_in = "P731D";  // exactly two years here: 2028 has a 29 February
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, jan_10_2029_noon_utc);
  f.remind_in = "P732D";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_in:too_late"}));
  f.remind_in = "P2YT1S";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"remind_in:too_late"}));

  // Every 24 months from now lands exactly on the limit.
  f.remind_in = "";
  f.every_months = "24";
  EXPECT_EQ(must_validate(f, jan_10_2027_noon_utc).due_unix, jan_10_2029_noon_utc);
}

// --- Card numbers and other fields ---------------------------------------------------------

TEST(ReminderRequest, ACardNumberInAnyFieldIsRefusedAndDropped) {
  const std::string card = "4242 4242 4242 4242";
  for (auto key : {"email", "campaign", "component", "page_url", "locale", "consent_version",
                   "remind_at", "time_zone"}) {
    auto json = must_parse_json(std::string(R"({")") + key + R"(":")" + card + R"("})");
    EXPECT_TRUE(json.card_number_seen) << key;
    for (const auto& text : all_text(json)) {
      EXPECT_EQ(text.find("4242"), std::string::npos) << key << ": " << text;
    }
    auto form = must_parse_form(std::string(key) + "=4242+4242+4242+4242");
    EXPECT_TRUE(form.card_number_seen) << key;
    for (const auto& text : all_text(form)) {
      EXPECT_EQ(text.find("4242"), std::string::npos) << key << ": " << text;
    }
  }
}

TEST(ReminderRequest, ACardNumberInTheCampaignFailsValidation) {
  auto parsed = must_parse_json(
      R"({"email":"reader@example.org","remind_in":"P7D","campaign":"4242 4242 4242 4242",)"
      R"("consent":true,"consent_version":"v1"})");
  EXPECT_TRUE(parsed.campaign.empty());
  auto result = validate(parsed, utc_rules(), jan_10_2027_noon_utc);
  ASSERT_TRUE(std::holds_alternative<std::vector<field_error>>(result));
  const auto& errors = std::get<std::vector<field_error>>(result);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "body");
  EXPECT_EQ(errors[0].code, "card_number");
  EXPECT_EQ(errors[0].message.find("4242"), std::string::npos);
}

TEST(ReminderRequest, CardNumbersWithDashesOrAsJsonNumbersAreCaught) {
  EXPECT_TRUE(must_parse_json(R"({"page_url":"https://x.example/?c=4242-4242-4242-4242"})")
                  .card_number_seen);
  auto number = must_parse_json(R"({"every_months":4242424242424242})");
  EXPECT_TRUE(number.card_number_seen);
  EXPECT_TRUE(number.every_months.empty());
  EXPECT_TRUE(must_parse_json(R"({"component":4242424242424242})").card_number_seen);
  // Digits that fail the Luhn check are not a card number.
  EXPECT_FALSE(must_parse_json(R"({"campaign":"4242424242424241"})").card_number_seen);
}

TEST(ReminderRequest, CampaignAndComponentAreShortIdentifiers) {
  auto f = good();
  f.campaign = "spring 2027";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"campaign:invalid"}));
  f.campaign = std::string(65, 'c');
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"campaign:invalid"}));
  f.campaign = std::string(64, 'c');
  EXPECT_TRUE(errors_of(f).empty());
  f.campaign = "<script>";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"campaign:invalid"}));
  f.campaign = "winter/2026_v.2";
  EXPECT_TRUE(errors_of(f).empty());

  f.component = "footer&x=1";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"component:invalid"}));
  f.component = "b\xc3\xa4nner";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"component:invalid"}));
}

TEST(ReminderRequest, PageUrlIsAtMost2000PrintableCharacters) {
  auto f = good();
  const std::string base = "https://news.example/";
  f.page_url = base + std::string(2000 - base.size(), 'a');
  EXPECT_TRUE(errors_of(f).empty());
  f.page_url += 'a';
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"page_url:invalid"}));
  f.page_url = "https://news.example/\nSet-Cookie: x";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"page_url:invalid"}));
}

TEST(ReminderRequest, LocaleIsALanguageTag) {
  auto f = good();
  for (auto bad : {"en GB", "en_GB", "en;q=1", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"}) {
    f.locale = bad;
    EXPECT_EQ(errors_of(f), (std::vector<std::string>{"locale:invalid"})) << bad;
  }
  for (auto fine : {"", "en", "pt-BR", "zh-Hant-TW"}) {
    f.locale = fine;
    EXPECT_TRUE(errors_of(f).empty()) << fine;
  }
}

TEST(ReminderRequest, EveryProblemIsReportedAtOnce) {
  reminder_fields f;
  f.email = "not-an-email";
  f.campaign = "spring 2027";
  f.page_url = std::string(2001, 'a');
  f.locale = "en GB";
  f.time_zone = "Mars/Olympus_Mons";
  f.every_months = "25";
  f.remind_in = "soon";
  f.card_number_seen = true;
  auto errors = errors_of(f);
  auto expected = std::vector<std::string>{
      "body:card_number",     "email:invalid",    "consent:required", "consent_version:required",
      "campaign:invalid",     "page_url:invalid", "locale:invalid",   "time_zone:invalid",
      "every_months:invalid", "remind_in:invalid"};
  std::sort(errors.begin(), errors.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(errors, expected);
}

// --- what a stranger sends never reaches an inbox as ours ------------------------

TEST(ReminderRequest, PageUrlIsAnHttpPageOnAnAllowedOrigin) {
  auto f = good();
  f.page_url = "javascript:alert(document.cookie)";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"page_url:invalid_url"}));
  f.page_url = "data:text/html,<script>x</script>";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"page_url:invalid_url"}));
  f.page_url = "https://phish.example/login";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"page_url:origin_not_allowed"}));
  f.page_url = "https://news.example.phish.example/";
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"page_url:origin_not_allowed"}));
  f.page_url = "http://news.example/story";  // another scheme is another origin
  EXPECT_EQ(errors_of(f), (std::vector<std::string>{"page_url:origin_not_allowed"}));
  f.page_url = "https://news.example/story/1?utm=x#top";
  EXPECT_TRUE(errors_of(f).empty());
  f.page_url = "";  // optional
  EXPECT_TRUE(errors_of(f).empty());
}

TEST(ReminderRequest, FormFieldsMustBeUtf8TextWithoutControls) {
  // Bytes no browser sends: not UTF-8, so a delivery's JSON body would not be valid.
  auto parsed =
      parse_form_fields("email=r%FF%FE%40example.org&remind_in=P7D&consent=on&consent_version=v1");
  ASSERT_TRUE(std::holds_alternative<field_error>(parsed));
  EXPECT_EQ(std::get<field_error>(parsed).field, "email");
  EXPECT_EQ(std::get<field_error>(parsed).code, "invalid_text");
  for (auto body : {"campaign=a%C0%AF", "page_url=https%3A%2F%2Fnews.example%2F%ED%A0%80",
                    "locale=en%00", "consent_version=v1%7F", "component=%C2%85"}) {
    auto refused = parse_form_fields(body);
    ASSERT_TRUE(std::holds_alternative<field_error>(refused)) << body;
    EXPECT_EQ(std::get<field_error>(refused).code, "invalid_text") << body;
  }
  // Real UTF-8 passes the reader (and fails later checks on its own terms, if any).
  EXPECT_EQ(must_parse_form("email=zo%C3%AB%40example.org").email, "zo\xc3\xab@example.org");
}

TEST(ReminderRequest, JsonFieldsMustBeTextWithoutControls) {
  for (auto body :
       {R"({"email":"a\u0000@example.org"})", R"({"page_url":"https://news.example/\u0085"})",
        R"({"time_zone":"Europe/London\u001b"})"}) {
    auto refused = parse_json_fields(body);
    ASSERT_TRUE(std::holds_alternative<field_error>(refused)) << body;
    EXPECT_EQ(std::get<field_error>(refused).code, "invalid_text") << body;
  }
}

TEST(ReminderRequest, CardNumbersSplitOrNestedOrAsAnyJsonNumberAreCaught) {
  for (auto body :
       {R"({"campaign":"4242.4242.4242.4242"})", R"({"campaign":"4242  4242  4242  4242"})",
        R"({"campaign":"4242 - 4242 - 4242 - 4242"})",
        R"({"extra":{"deep":["x",4242424242424242]}})",
        R"({"extra":{"card":"4242 4242 4242 4242"}})", R"({"every_months":4242424242424242.0})",
        R"({"every_months":4.242424242424242e15})"}) {
    EXPECT_TRUE(must_parse_json(body).card_number_seen) << body;
  }
}

}  // namespace
}  // namespace supportd::reminders

#include "reminders/reminder_message.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <string>

#include "http/form.hpp"

namespace supportd::reminders {
namespace {

// Computed by hand with `date -u -d 2027-03-14T13:00:00Z +%s` and so on.
constexpr std::int64_t mar_14_2027_13_utc = 1805029200;
constexpr std::int64_t mar_15_2027_08_30_utc = 1805099400;

v1::Reminder reminder() {
  v1::Reminder r;
  r.set_campaign("winter-2026");
  r.set_component("banner");
  r.set_page_url("https://news.example/story/1");
  r.set_locale("en-GB");
  r.set_due_at_unix(mar_14_2027_13_utc);
  r.set_occurrence(3);
  return r;
}

// The query of `url` (between '?' and '#'), decoded into name -> values.
std::multimap<std::string, std::string> query_of(const std::string& url) {
  std::multimap<std::string, std::string> out;
  auto q = url.find('?');
  if (q == std::string::npos) {
    return out;
  }
  auto end = url.find('#', q);
  auto query = url.substr(q + 1, end == std::string::npos ? std::string::npos : end - q - 1);
  EXPECT_TRUE(http::for_each_form_field(query, [&](std::string_view k, std::string_view v) {
    out.emplace(std::string(k), std::string(v));
  })) << url;
  return out;
}

boost::json::object must_parse_object(const std::string& text) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  if (ec || !value.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text;
    return {};
  }
  return value.as_object();
}

std::string string_at(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    ADD_FAILURE() << "no string member " << key;
    return {};
  }
  return std::string(v->as_string());
}

TEST(ReminderMessage, WebhookIdNamesTheReminderAndItsOccurrence) {
  auto r = reminder();
  EXPECT_EQ(webhook_id("AbCdEfGhIjKl-_mnopqr", r), "rem_AbCdEfGhIjKl-_mnopqr_3");
  // Every attempt at one occurrence carries the same id...
  EXPECT_EQ(webhook_id("AbCdEfGhIjKl-_mnopqr", r), webhook_id("AbCdEfGhIjKl-_mnopqr", r));
  // ...the next occurrence a new one, and so does another reminder.
  auto next = r;
  next.set_occurrence(4);
  EXPECT_EQ(webhook_id("AbCdEfGhIjKl-_mnopqr", next), "rem_AbCdEfGhIjKl-_mnopqr_4");
  EXPECT_NE(webhook_id("AbCdEfGhIjKl-_mnopqr", next), webhook_id("AbCdEfGhIjKl-_mnopqr", r));
  EXPECT_NE(webhook_id("ZZCdEfGhIjKl-_mnopqr", r), webhook_id("AbCdEfGhIjKl-_mnopqr", r));
  next.set_occurrence(0);
  EXPECT_EQ(webhook_id("x", next), "rem_x_0");
}

std::string give_url(std::string_view base, const v1::Reminder& r) {
  return give_link(base)(r);
}

TEST(ReminderMessage, GiveUrlAddsAttributionToABareBase) {
  EXPECT_EQ(give_url("https://news.example/", reminder()),
            "https://news.example/?source=reminder&campaign=winter-2026&component=banner");
  EXPECT_EQ(give_url("https://news.example/support", reminder()),
            "https://news.example/support?source=reminder&campaign=winter-2026&component=banner");
}

TEST(ReminderMessage, GiveUrlKeepsAnExistingQuery) {
  EXPECT_EQ(give_url("https://news.example/give?lang=en&ref=mail", reminder()),
            "https://news.example/give?lang=en&ref=mail&source=reminder&campaign=winter-2026"
            "&component=banner");
}

TEST(ReminderMessage, GiveUrlReplacesAStaleSourceAndKeepsTheFragment) {
  auto url = give_url("https://news.example/give?source=newsletter#amount", reminder());
  auto query = query_of(url);
  EXPECT_EQ(query.count("source"), 1u) << url;
  EXPECT_EQ(query.find("source")->second, "reminder") << url;
  EXPECT_TRUE(url.starts_with("https://news.example/give?")) << url;
  EXPECT_TRUE(url.ends_with("#amount")) << url;
}

TEST(ReminderMessage, GiveUrlReplacesAttributionTheBaseNamesItself) {
  auto url = give_url("https://news.example/give?campaign=old&x=1#top", reminder());
  auto query = query_of(url);
  EXPECT_EQ(query.count("campaign"), 1u) << url;
  EXPECT_EQ(query.find("campaign")->second, "winter-2026") << url;
  EXPECT_EQ(query.find("component")->second, "banner") << url;
  EXPECT_EQ(query.find("source")->second, "reminder") << url;
  EXPECT_EQ(query.find("x")->second, "1") << url;
  EXPECT_TRUE(url.ends_with("#top")) << url;
}

TEST(ReminderMessage, GiveUrlLeavesOutEmptyAttribution) {
  auto r = reminder();
  r.clear_campaign();
  r.clear_component();
  EXPECT_EQ(give_url("https://news.example/", r), "https://news.example/?source=reminder");
  r.set_component("footer");
  EXPECT_EQ(give_url("https://news.example/", r),
            "https://news.example/?source=reminder&component=footer");
}

TEST(ReminderMessage, GiveUrlPercentEncodesOddCharacters) {
  // Validation keeps campaigns and components to short identifiers; a stored value is still
  // encoded so that it cannot end the query, start a fragment or add another parameter.
  auto r = reminder();
  r.set_campaign("a b&c=d#e%g");
  r.set_component("x?y/z");
  auto url = give_url("https://news.example/", r);
  EXPECT_EQ(url.find('#'), std::string::npos) << url;
  EXPECT_EQ(url.find(' '), std::string::npos) << url;
  EXPECT_EQ(std::count(url.begin(), url.end(), '&'), 2) << url;
  EXPECT_TRUE(url.starts_with("https://news.example/?source=reminder&campaign=")) << url;
  EXPECT_NE(url.find("a%20b%26c"), std::string::npos) << url;
  EXPECT_NE(url.find("%23e%25g"), std::string::npos) << url;
  auto query = query_of(url);
  ASSERT_EQ(query.size(), 3u) << url;
  EXPECT_EQ(query.find("campaign")->second, "a b&c=d#e%g") << url;
  EXPECT_EQ(query.find("component")->second, "x?y/z") << url;
}

TEST(ReminderMessage, UnsubscribeUrlWithOrWithoutATrailingSlash) {
  const std::string expected =
      "https://support.news.example/v1/reminders/unsubscribe?id=AbCdEfGhIjKl-_mnopqr"
      "&token=t0k-en_1";
  EXPECT_EQ(unsubscribe_url("https://support.news.example", "AbCdEfGhIjKl-_mnopqr", "t0k-en_1"),
            expected);
  EXPECT_EQ(unsubscribe_url("https://support.news.example/", "AbCdEfGhIjKl-_mnopqr", "t0k-en_1"),
            expected);
  EXPECT_EQ(unsubscribe_url("https://support.news.example//", "AbCdEfGhIjKl-_mnopqr", "t0k-en_1"),
            expected);
  EXPECT_EQ(unsubscribe_url("https://news.example/support/", "id1", "tok"),
            "https://news.example/support/v1/reminders/unsubscribe?id=id1&token=tok");
}

TEST(ReminderMessage, BodyIsAStandardWebhooksEnvelope) {
  auto r = reminder();
  message_links links{"https://news.example/?source=reminder",
                      "https://support.news.example/v1/reminders/unsubscribe?id=i&token=t"};
  auto body = must_parse_object(message_body("AbCdEfGhIjKl-_mnopqr", r, "Reader+tag@Example.org",
                                             links, mar_15_2027_08_30_utc));
  EXPECT_EQ(body.size(), 3u);
  EXPECT_EQ(string_at(body, "type"), "reminder.due");
  EXPECT_EQ(string_at(body, "timestamp"), "2027-03-15T08:30:00Z");
  ASSERT_TRUE(body.contains("data") && body.at("data").is_object());
  const auto& data = body.at("data").as_object();
  EXPECT_EQ(string_at(data, "reminder_id"), "AbCdEfGhIjKl-_mnopqr");
  EXPECT_EQ(data.at("occurrence").to_number<std::int64_t>(), 3);
  EXPECT_EQ(string_at(data, "email"), "Reader+tag@Example.org");  // exactly as given
  EXPECT_EQ(string_at(data, "locale"), "en-GB");
  EXPECT_EQ(string_at(data, "campaign"), "winter-2026");
  EXPECT_EQ(string_at(data, "component"), "banner");
  EXPECT_EQ(string_at(data, "page_url"), "https://news.example/story/1");
  EXPECT_EQ(string_at(data, "due_at"), "2027-03-14T13:00:00Z");
  EXPECT_EQ(string_at(data, "give_url"), links.give_url);
  EXPECT_EQ(string_at(data, "unsubscribe_url"), links.unsubscribe_url);
  EXPECT_FALSE(data.contains("every_months"));  // a one-off reminder
  // Nothing sealed or internal leaks into the message.
  EXPECT_FALSE(data.contains("sealed_email"));
  EXPECT_FALSE(data.contains("consent_version"));
}

TEST(ReminderMessage, RecurringRemindersSayHowOften) {
  auto r = reminder();
  r.set_every_months(6);
  auto body = must_parse_object(message_body("id", r, "a@example.org", {}, mar_14_2027_13_utc));
  const auto& data = body.at("data").as_object();
  ASSERT_TRUE(data.contains("every_months"));
  EXPECT_EQ(data.at("every_months").to_number<std::int64_t>(), 6);
}

TEST(ReminderMessage, BodyStaysValidJsonWhateverTheFieldsHold) {
  auto r = reminder();
  r.set_page_url("https://news.example/\"quoted\"\\path\x01");
  r.set_campaign("</script>");
  auto body =
      must_parse_object(message_body("id", r, "o'brien\"@example.org", {}, mar_14_2027_13_utc));
  const auto& data = body.at("data").as_object();
  EXPECT_EQ(string_at(data, "page_url"), "https://news.example/\"quoted\"\\path\x01");
  EXPECT_EQ(string_at(data, "email"), "o'brien\"@example.org");
}

}  // namespace
}  // namespace supportd::reminders

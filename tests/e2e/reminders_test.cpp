// "Remind me later" end to end: the real supportd, a real Redis, and a stand-in for the site's
// email service, talked to as the site's sign-up form, a script, a reader's mail client and an
// operator would. Deliveries themselves (signatures, retries) are checked by
// tests/reminders/official_delivery.test.mjs; here they only carry the unsubscribe link.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "support/api_contract.hpp"
#include "support/email_service.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto site = "https://news.example";
constexpr auto public_url = "https://support.test";
constexpr auto admin_token = "admin-token-for-e2e-tests";
constexpr std::int64_t day = std::int64_t{24} * 3600;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Seconds since the epoch of an RFC 3339 UTC time such as 2027-01-05T09:00:00Z; -1 if it is not
// one.
std::int64_t unix_time_of(const std::string& text) {
  std::smatch m;
  if (!std::regex_match(text, m,
                        std::regex(R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z)"))) {
    return -1;
  }
  std::tm fields{};
  fields.tm_year = std::stoi(m[1]) - 1900;
  fields.tm_mon = std::stoi(m[2]) - 1;
  fields.tm_mday = std::stoi(m[3]);
  fields.tm_hour = std::stoi(m[4]);
  fields.tm_min = std::stoi(m[5]);
  fields.tm_sec = std::stoi(m[6]);
  return timegm(&fields);
}

// The value of one series in a Prometheus text exposition; nullopt when it is not there.
std::optional<double> metric(const std::string& exposition, const std::string& series) {
  auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  return std::stod(exposition.substr(at + series.size() + 2));
}

// Every key and every value in Redis, as one lower-cased text to search. Values are read by
// their type (DUMP would compress long strings and hide what they hold), and redis-cli quotes
// binary data, so printable text in a value shows as itself.
constexpr auto dump_script = R"lua(
local out = {}
for _, key in ipairs(redis.call('KEYS', '*')) do
  table.insert(out, key)
  local kind = redis.call('TYPE', key).ok
  local values
  if kind == 'string' then values = {redis.call('GET', key)}
  elseif kind == 'hash' then values = redis.call('HGETALL', key)
  elseif kind == 'zset' then values = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  elseif kind == 'set' then values = redis.call('SMEMBERS', key)
  elseif kind == 'list' then values = redis.call('LRANGE', key, 0, -1)
  else return redis.error_reply('cannot read ' .. key .. ' of type ' .. kind) end
  for _, value in ipairs(values) do table.insert(out, value) end
end
return out
)lua";

class Reminders : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir.path() / "data-keys") << "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
    std::ofstream(dir.path() / "link-secret") << "0123456789abcdef0123456789abcdef-links\n";
    std::ofstream(dir.path() / "admin-token") << admin_token << "\n";
    std::ofstream(dir.path() / "notify-secret")
        << "whsec_a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n";
  }

  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--data-key-file=" + (dir.path() / "data-keys").string(),
        "--link-secret-file=" + (dir.path() / "link-secret").string(),
        "--admin-token-file=" + (dir.path() / "admin-token").string(),
        std::string("--public-url=") + public_url,
        std::string("--allowed-origins=") + site,
    };
    service = std::make_unique<supportd_process>(redis.url(), with_test_rate_limit(args, extra));
    ASSERT_TRUE(service->wait_ready(10s));
  }

  // With deliveries to `email`, looked for often so a reminder due in a second goes out soon.
  void start_delivering(std::vector<std::string> extra = {}) {
    extra.push_back("--notify-url=" + email.url());
    extra.push_back("--notify-secret-file=" + (dir.path() / "notify-secret").string());
    extra.push_back("--reminder-poll=100ms");
    start(std::move(extra));
  }

  static std::optional<raw_response> send(raw_client& c, const std::string& method,
                                          const std::string& target,
                                          const std::string& extra_headers = "",
                                          const std::string& content_type = "",
                                          const std::string& body = "") {
    std::string head =
        method + " " + target + " HTTP/1.1\r\nHost: support.test\r\n" + extra_headers;
    if (!content_type.empty()) {
      head += "Content-Type: " + content_type + "\r\n";
    }
    if (method != "GET") {
      head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    c.send(head + "\r\n" + body);
    return c.read_response(20s);
  }
  static std::optional<raw_response> post_json(raw_client& c, const std::string& body,
                                               const std::string& extra = "") {
    return send(c, "POST", "/v1/reminders", extra, "application/json", body);
  }
  static std::optional<raw_response> post_form(raw_client& c, const std::string& body,
                                               const std::string& extra = "") {
    return send(c, "POST", "/v1/reminders", extra, "application/x-www-form-urlencoded", body);
  }
  static std::string bearer(const std::string& token) {
    return "Authorization: Bearer " + token + "\r\n";
  }

  // A sign-up as the site's script posts it; `when` is the JSON members saying when.
  static std::string sign_up_json(const std::string& email, const std::string& campaign = "winter",
                                  const std::string& when = R"("remind_in":"P7D")") {
    return R"({"email":")" + email + R"(","campaign":")" + campaign + R"(","component":"banner",)" +
           when + R"(,"consent":true,"consent_version":"2026-11","locale":"en-GB"})";
  }

  struct created_reminder {
    std::string id;
    std::string manage_token;
    std::string due_at;
  };

  // Signs up and expects it to work.
  static created_reminder sign_up(raw_client& c, const std::string& email,
                                  const std::string& campaign = "winter",
                                  const std::string& when = R"("remind_in":"P7D")") {
    auto r = post_json(c, sign_up_json(email, campaign, when));
    EXPECT_EQ(status(r), 201) << (r ? r->body : "no response");
    if (status(r) != 201) {
      return {};
    }
    auto body = json::parse(r->body).as_object();
    return {std::string(body.at("id").as_string()),
            std::string(body.at("manage_token").as_string()),
            std::string(body.at("due_at").as_string())};
  }

  // The reminder as its manage token shows it; null when the answer is not 200.
  static json::value view(raw_client& c, const created_reminder& r) {
    auto seen = c.get("/v1/reminders/" + r.id, bearer(r.manage_token));
    return status(seen) == 200 ? json::parse(seen->body) : json::value();
  }

  // Looks at the reminder until `done` holds for its view, up to 10 s; the last view.
  static json::value wait_for(raw_client& c, const created_reminder& r,
                              const std::function<bool(const json::value&)>& done) {
    json::value last;
    for (int i = 0; i < 200; ++i) {
      last = view(c, r);
      if (done(last)) {
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    return last;
  }

  static std::set<std::string> fields_named(const raw_response& problem) {
    std::set<std::string> fields;
    const auto parsed = json::parse(problem.body);
    for (const auto& e : parsed.at("errors").as_array()) {
      fields.insert(std::string(e.at("field").as_string()));
    }
    return fields;
  }

  std::string stored() {
    std::string text;
    for (const auto& line : redis.cli({"--no-raw", "EVAL", dump_script, "0"})) {
      EXPECT_FALSE(line.starts_with("(error)")) << line;
      text += line + "\n";
    }
    return lower(text);
  }

  // The sorted sets, and each reminder as if under a key of its own, wherever it is kept (a
  // bucket or its own key). Shared attribution (rem:ctx:*) is left out: it names no reader.
  std::set<std::string> reminder_keys() {
    std::set<std::string> out;
    for (const auto& key : redis.cli({"KEYS", "*rem:*"})) {
      if (key.empty() || key.find(":rem:ctx:") != std::string::npos) {
        continue;
      }
      if (key.find(":rem:b:") == std::string::npos) {
        out.insert(key);
        continue;
      }
      for (const auto& id : redis.cli({"HKEYS", key})) {
        if (!id.empty()) {
          out.insert("supportd:rem:" + id);
        }
      }
    }
    return out;
  }

  // Everything supportd has logged up to now for requests on `c`'s connection. Workers write
  // their request logs in batches, so a marked request goes through first and its line is
  // waited for: the lines before it on that worker are out by then.
  std::string log_text(raw_client& c) {
    const auto mark = "log-mark-" + std::to_string(++log_marks);
    EXPECT_EQ(status(c.get("/healthz", "X-Request-Id: " + mark + "\r\n")), 200);
    EXPECT_TRUE(service->process().wait_for_line(
        [&](const std::string& l) { return l.find(mark) != std::string::npos; }, 5s));
    std::string text;
    for (const auto& line : service->process().lines()) {
      text += line + "\n";
    }
    return text;
  }

  std::string metrics(raw_client& c) {
    auto r = c.get("/metrics");
    return r ? r->body : "";
  }

  temp_dir dir;
  redis_server redis;
  email_service email;
  std::unique_ptr<supportd_process> service;
  int log_marks = 0;
};

TEST_F(Reminders, JsonSignUpIsPendingAndReadableOnlyWithItsManageToken) {
  start();
  raw_client client(service->http_port(), false);
  auto created = post_json(client, sign_up_json("Reader@Example.org"));
  ASSERT_EQ(status(created), 201) << (created ? created->body : "");
  EXPECT_EQ(created->header("content-type"), "application/json");
  auto body = json::parse(created->body).as_object();
  const std::string id(body.at("id").as_string());
  const std::string token(body.at("manage_token").as_string());
  const std::string due_at(body.at("due_at").as_string());
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(body.at("status"), "pending");
  EXPECT_NEAR(unix_time_of(due_at), now_unix() + 7 * day, 5) << due_at;
  EXPECT_FALSE(token.empty());
  EXPECT_EQ(created->header("location"), "/v1/reminders/" + id);

  // The reader's view, with the manage token only; an unknown id and a wrong token look alike.
  auto seen = client.get("/v1/reminders/" + id, bearer(token));
  ASSERT_EQ(status(seen), 200);
  EXPECT_EQ(seen->header("cache-control"), "no-store");
  auto reminder = json::parse(seen->body).as_object();
  EXPECT_EQ(reminder.at("id").as_string(), id);
  EXPECT_EQ(reminder.at("status"), "pending");
  EXPECT_EQ(reminder.at("due_at").as_string(), due_at);
  EXPECT_EQ(reminder.at("campaign"), "winter");
  EXPECT_FALSE(reminder.contains("email"));
  auto anonymous = client.get("/v1/reminders/" + id);
  ASSERT_EQ(status(anonymous), 401);
  EXPECT_EQ(anonymous->header("www-authenticate"), "Bearer");
  EXPECT_EQ(status(client.get("/v1/reminders/" + id, bearer(token + "x"))), 404);
  EXPECT_EQ(status(client.get("/v1/reminders/" + id, bearer("rt_wrong"))), 404);
  EXPECT_EQ(status(client.get("/v1/reminders/AAAAAAAAAAAAAAAAAAAA", bearer(token))), 404);

  // Redis holds the reminder (the scan sees it) but neither the address nor the token; nor do
  // the logs.
  auto everything = stored();
  EXPECT_NE(everything.find(lower(id)), std::string::npos);
  EXPECT_NE(everything.find("winter"), std::string::npos);  // values are read, not only keys
  EXPECT_EQ(everything.find("reader@example.org"), std::string::npos) << everything;
  EXPECT_EQ(everything.find("example.org"), std::string::npos);
  EXPECT_EQ(everything.find(lower(token)), std::string::npos);
  auto logs = lower(log_text(client));
  EXPECT_NE(logs.find(lower(id)), std::string::npos);
  EXPECT_EQ(logs.find("example.org"), std::string::npos) << logs;
  EXPECT_EQ(logs.find(lower(token)), std::string::npos);
}

// The names of an answer's JSON members, sorted.
std::set<std::string> member_names(const std::string& body) {
  std::set<std::string> names;
  const auto parsed = json::parse(body);
  for (const auto& member : parsed.as_object()) {
    names.insert(std::string(member.key()));
  }
  return names;
}

// a stranger who knows a reader's address (in any case, with spaces around it) signs
// up with it, by JSON and by form. The answers are a first sign-up's, their tokens open nothing
// of the reader's, and the reader's reminder is neither moved nor changed.
TEST_F(Reminders, ASecondSignUpWithAReadersAddressGetsNoPowerOverTheirReminder) {
  start();
  raw_client client(service->http_port(), false);
  auto first_answer = post_json(client, sign_up_json("Reader@Example.org"));
  ASSERT_EQ(status(first_answer), 201);
  auto first_body = json::parse(first_answer->body).as_object();
  created_reminder victim{std::string(first_body.at("id").as_string()),
                          std::string(first_body.at("manage_token").as_string()),
                          std::string(first_body.at("due_at").as_string())};
  const auto victims_view = json::serialize(view(client, victim));
  const auto victims_record =
      redis.cli({"HGET", "supportd:rem:b:" + victim.id.substr(0, 2), victim.id});

  // By JSON, pushing it two years out in another language: the same answer as a first sign-up.
  auto again = post_json(client, R"({"email":"  reader@EXAMPLE.org ","campaign":"winter",)"
                                 R"("component":"epic","remind_in":"P700D","consent":true,)"
                                 R"("consent_version":"attacker-1","locale":"fr-FR"})");
  ASSERT_EQ(status(again), status(first_answer));
  EXPECT_EQ(member_names(again->body), member_names(first_answer->body));
  auto again_body = json::parse(again->body).as_object();
  created_reminder stranger{std::string(again_body.at("id").as_string()),
                            std::string(again_body.at("manage_token").as_string()),
                            std::string(again_body.at("due_at").as_string())};
  EXPECT_NE(stranger.id, victim.id);
  EXPECT_NE(stranger.manage_token, victim.manage_token);
  EXPECT_EQ(again->header("location"), "/v1/reminders/" + stranger.id);
  // The stranger's token opens only the stranger's reminder.
  EXPECT_EQ(status(client.get("/v1/reminders/" + victim.id, bearer(stranger.manage_token))), 404);
  EXPECT_EQ(
      status(send(client, "DELETE", "/v1/reminders/" + victim.id, bearer(stranger.manage_token))),
      404);
  // By plain form, likewise: a fresh reminder, the same page a first sign-up gets.
  auto by_form = post_form(client,
                           "email=%20READER%40example.org%20&campaign=winter&component=banner&"
                           "remind_in=P600D&consent=on&consent_version=x&locale=de-DE");
  EXPECT_EQ(status(by_form), 201);
  auto fresh_form = post_form(client,
                              "email=someone.new%40example.org&campaign=winter&component=banner&"
                              "remind_in=P600D&consent=on&consent_version=x&locale=de-DE");
  ASSERT_EQ(status(fresh_form), status(by_form));
  EXPECT_EQ(fresh_form->body, by_form->body);

  // The reader's reminder is as it was: due time, locale, attribution, consent record.
  EXPECT_EQ(json::serialize(view(client, victim)), victims_view);
  EXPECT_EQ(redis.cli({"HGET", "supportd:rem:b:" + victim.id.substr(0, 2), victim.id}),
            victims_record);
  EXPECT_EQ(redis.cli({"ZCARD", "supportd:rem:due"}), std::vector<std::string>{"4"});
  EXPECT_EQ(status(client.get("/v1/reminders/" + victim.id, bearer(victim.manage_token))), 200);
}

// /metrics must not tell a first sign-up from a repeated one.
TEST_F(Reminders, MetricsDoNotTellWhetherAnAddressHadAReminder) {
  start();
  raw_client client(service->http_port(), false);
  sign_up(client, "one@example.org");
  auto before = metrics(client);
  sign_up(client, " ONE@example.org");
  auto after_repeat = metrics(client);
  sign_up(client, "two@example.org");
  auto after_new = metrics(client);
  const auto created = R"(supportd_reminder_signups_total{outcome="created"})";
  EXPECT_EQ(metric(after_repeat, created), metric(before, created).value_or(0) + 1);
  EXPECT_EQ(metric(after_new, created), metric(after_repeat, created).value_or(0) + 1);
  EXPECT_EQ(after_new.find(R"(outcome="updated")"), std::string::npos) << after_new;
}

// One reminder per reader and campaign still holds where it matters, at delivery: two
// sign-ups with one address that fall due together reach the inbox once.
TEST_F(Reminders, TwoSignUpsOfOneAddressDueTogetherAreDeliveredOnce) {
  start_delivering();
  raw_client client(service->http_port(), false);
  const auto soon = R"("remind_in":"PT1S")";
  auto first = sign_up(client, "reader@example.org", "winter", soon);
  auto second = sign_up(client, "Reader@example.org ", "winter", soon);
  auto other = sign_up(client, "reader@example.org", "spring", soon);
  ASSERT_FALSE(first.id.empty());
  for (const auto* r : {&first, &second, &other}) {
    wait_for(client, *r,
             [](const json::value& v) { return v.is_object() && v.at("status") != "pending"; });
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(email.deliveries(), 2u);
  auto statuses =
      std::multiset<std::string>{std::string(view(client, first).at("status").as_string()),
                                 std::string(view(client, second).at("status").as_string())};
  EXPECT_EQ(statuses, (std::multiset<std::string>{"delivered", "duplicate"}));
  EXPECT_EQ(view(client, other).at("status"), "delivered");
  auto exposition = metrics(client);
  EXPECT_EQ(metric(exposition, R"(supportd_reminder_deliveries_skipped_total{reason="duplicate"})"),
            1)
      << exposition;
}

TEST_F(Reminders, InvalidSignUpsAre422NamingEveryFieldAndWriteNothing) {
  start();
  raw_client client(service->http_port(), false);
  const auto before = redis.cli({"KEYS", "*"});

  auto r =
      post_json(client, R"({"email":"not-an-address","remind_in":"next week","campaign":"winter",)"
                        R"("consent":false,"consent_version":"2026-11"})");
  ASSERT_EQ(status(r), 422);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(r->body).at("status").as_int64(), 422);
  EXPECT_EQ(fields_named(*r), (std::set<std::string>{"consent", "email", "remind_in"}));

  // No consent at all, a time in the past, and one too far ahead are each named too.
  auto past = post_json(client, R"({"email":"a@b.org","remind_at":"2020-01-01T09:00:00Z"})");
  ASSERT_EQ(status(past), 422);
  EXPECT_EQ(fields_named(*past),
            (std::set<std::string>{"consent", "consent_version", "remind_at"}));
  auto late = post_json(client, sign_up_json("a@b.org", "winter", R"("remind_in":"P3Y")"));
  ASSERT_EQ(status(late), 422);
  EXPECT_EQ(json::parse(late->body).at("errors").as_array()[0].at("code"), "too_late");
  auto garbled = post_json(client, "{\"email\":");
  ASSERT_EQ(status(garbled), 422);
  EXPECT_EQ(fields_named(*garbled), std::set<std::string>{"body"});

  EXPECT_EQ(redis.cli({"KEYS", "*"}), before);
  EXPECT_TRUE(reminder_keys().empty());
  // The same connection goes on to a good sign-up.
  auto good = post_json(client, sign_up_json("a@b.org"));
  EXPECT_EQ(status(good), 201);
}

TEST_F(Reminders, CardNumbersAreRefusedAndNeverStoredOrLogged) {
  start();
  raw_client client(service->http_port(), false);
  auto in_text =
      post_json(client, R"({"email":"a@b.org","remind_in":"P7D","consent":true,)"
                        R"("consent_version":"2026-11","page_url":"4242 4242 4242 4242"})");
  ASSERT_EQ(status(in_text), 422);
  EXPECT_EQ(json::parse(in_text->body).at("errors").as_array()[0].at("code"), "card_number");
  auto as_number = post_json(client, R"({"email":"a@b.org","remind_in":"P7D","consent":true,)"
                                     R"("consent_version":"2026-11","locale":4000056655665556})");
  ASSERT_EQ(status(as_number), 422);
  EXPECT_EQ(json::parse(as_number->body).at("errors").as_array()[0].at("code"), "card_number");
  auto in_form = post_form(client,
                           "email=a%40b.org&remind_in=P7D&consent=on&consent_version=2026-11&"
                           "campaign=5555-5555-5555-4444");
  ASSERT_EQ(status(in_form), 422);

  EXPECT_TRUE(reminder_keys().empty());
  auto everything = stored();
  auto logs = log_text(client);
  for (auto digits :
       {"4242 4242", "4242424242424242", "4000056655665556", "5555-5555", "5555555555554444"}) {
    EXPECT_EQ(everything.find(digits), std::string::npos) << digits;
    EXPECT_EQ(logs.find(digits), std::string::npos) << digits << "\n" << logs;
  }
}

TEST_F(Reminders, PlainFormPostsGoBackToTheSitesPages) {
  start({"--reminder-thanks-url=https://news.example/thanks",
         "--reminder-error-url=https://news.example/remind?from=form"});
  raw_client browser(service->http_port(), false);
  const std::string origin = std::string("Origin: ") + site + "\r\n";
  auto done = post_form(browser,
                        "email=reader%40example.org&remind_in=P7D&campaign=winter&"
                        "component=footer&consent=on&consent_version=2026-11",
                        origin);
  ASSERT_EQ(status(done), 303);
  EXPECT_EQ(done->header("location"), "https://news.example/thanks");
  EXPECT_EQ(done->header("access-control-allow-origin"), site);
  EXPECT_EQ(reminder_keys().size(), 2u);  // the reminder and the due set

  // Without the consent box ticked: back to the form, saying which field and why.
  auto refused =
      post_form(browser, "email=other%40example.org&remind_in=P7D&consent_version=2026-11", origin);
  ASSERT_EQ(status(refused), 303);
  EXPECT_EQ(refused->header("location"),
            "https://news.example/remind?from=form&error=required&field=consent");
  auto bad_date = post_form(
      browser, "email=other%40example.org&remind_at=someday&consent=on&consent_version=2026-11");
  ASSERT_EQ(status(bad_date), 303);
  EXPECT_EQ(bad_date->header("location"),
            "https://news.example/remind?from=form&error=invalid&field=remind_at");
  EXPECT_EQ(reminder_keys().size(), 2u);
}

TEST_F(Reminders, PlainFormPostWithoutAThanksPageGetsOneFromSupportd) {
  start();
  raw_client browser(service->http_port(), false);
  auto done = post_form(browser,
                        "email=reader%40example.org&remind_at=2027-06-01&time_zone=Europe%2FParis&"
                        "campaign=winter&consent=on&consent_version=2026-11");
  ASSERT_EQ(status(done), 201) << (done ? done->body : "");
  EXPECT_EQ(done->header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(done->body.find("We will remind you"), std::string::npos);
  EXPECT_NE(done->body.find("2027-06-01"), std::string::npos) << done->body;
  // Without an error page, a bad form is a problem document like any other.
  auto refused = post_form(browser, "email=reader%40example.org&remind_in=P7D");
  ASSERT_EQ(status(refused), 422);
  EXPECT_EQ(refused->header("content-type"), "application/problem+json");
}

TEST_F(Reminders, CorsLetsTheSiteSignReadersUpAndNoOneElse) {
  start();
  raw_client client(service->http_port(), false);
  client.send(std::string("OPTIONS /v1/reminders HTTP/1.1\r\nHost: x\r\nOrigin: ") + site +
              "\r\nAccess-Control-Request-Method: POST\r\n"
              "Access-Control-Request-Headers: content-type\r\n\r\n");
  auto allowed = client.read_response();
  ASSERT_EQ(status(allowed), 204);
  EXPECT_EQ(allowed->header("access-control-allow-origin"), site);
  EXPECT_NE(allowed->header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(lower(allowed->header("access-control-allow-headers")).find("content-type"),
            std::string::npos);
  EXPECT_EQ(allowed->header("access-control-allow-credentials"), "");

  client.send(
      "OPTIONS /v1/reminders HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.test\r\n"
      "Access-Control-Request-Method: POST\r\n\r\n");
  auto denied = client.read_response();
  ASSERT_EQ(status(denied), 403);
  EXPECT_EQ(denied->header("access-control-allow-origin"), "");

  auto signed_up =
      post_json(client, sign_up_json("a@b.org"), std::string("Origin: ") + site + "\r\n");
  ASSERT_EQ(status(signed_up), 201);
  EXPECT_EQ(signed_up->header("access-control-allow-origin"), site);
  auto keys_before = reminder_keys();
  auto foreign = post_json(client, sign_up_json("c@d.org"), "Origin: https://evil.test\r\n");
  ASSERT_EQ(status(foreign), 403);
  EXPECT_EQ(foreign->header("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(foreign->body).at("code"), "origin_not_allowed");
  EXPECT_EQ(foreign->header("access-control-allow-origin"), "");
  EXPECT_EQ(reminder_keys(), keys_before);
}

TEST_F(Reminders, OneClickUnsubscribeFromADeliveredLinkStopsTheReminder) {
  start_delivering();
  raw_client client(service->http_port(), false);
  // Monthly, the first in a second: after that delivery it is pending for next month.
  auto reminder =
      sign_up(client, "Reader@Example.org", "winter", R"("remind_in":"PT1S","every_months":1)");
  ASSERT_FALSE(reminder.id.empty());
  auto delivered = email.delivery(1, 10s);
  ASSERT_TRUE(delivered);
  const auto& data = delivered->at("data").as_object();
  EXPECT_EQ(data.at("email"), "reader@example.org");
  EXPECT_EQ(data.at("reminder_id").as_string(), reminder.id);
  EXPECT_EQ(data.at("give_url"),
            "https://news.example/?source=reminder&campaign=winter&component=banner");
  const std::string link(data.at("unsubscribe_url").as_string());
  ASSERT_TRUE(link.starts_with(std::string(public_url) +
                               "/v1/reminders/unsubscribe?id=" + reminder.id + "&token="))
      << link;
  const auto path = link.substr(std::string(public_url).size());
  const auto token = path.substr(path.find("&token=") + 7);
  auto next_month = wait_for(client, reminder, [&](const json::value& v) {
    return v.is_object() && v.at("due_at").as_string() != reminder.due_at;
  });
  ASSERT_TRUE(next_month.is_object());
  EXPECT_EQ(next_month.at("status"), "pending");
  EXPECT_GT(unix_time_of(std::string(next_month.at("due_at").as_string())), now_unix() + 27 * day);

  // The link opens a page with a one-click form; a link with a wrong or altered token does not.
  auto page = client.get(path);
  ASSERT_EQ(status(page), 200);
  EXPECT_NE(page->body.find("name=\"List-Unsubscribe\" value=\"One-Click\""), std::string::npos);
  const auto dot = token.find('.');
  auto forged_signature = token;
  forged_signature[dot + 1] = forged_signature[dot + 1] == 'A' ? 'B' : 'A';
  const auto later_expiry =
      std::to_string(std::stoll(token.substr(0, dot)) + 1) + token.substr(dot);
  for (const auto& wrong : {forged_signature, later_expiry, std::string("")}) {
    auto broken = client.get("/v1/reminders/unsubscribe?id=" + reminder.id + "&token=" + wrong);
    ASSERT_EQ(status(broken), 403) << wrong;
    EXPECT_EQ(broken->header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(broken->body.find("This link does not work"), std::string::npos);
  }
  const std::string one_click = "List-Unsubscribe=One-Click";
  auto refused = send(client, "POST",
                      "/v1/reminders/unsubscribe?id=" + reminder.id + "&token=" + forged_signature,
                      "", "application/x-www-form-urlencoded", one_click);
  EXPECT_EQ(status(refused), 403);
  EXPECT_EQ(view(client, reminder).at("status"), "pending");

  // What a mail client does for RFC 8058: POST the link, twice if it likes.
  for (int i = 0; i < 2; ++i) {
    auto done = send(client, "POST", path, "", "application/x-www-form-urlencoded", one_click);
    ASSERT_EQ(status(done), 200) << i;
    EXPECT_NE(done->body.find("You are unsubscribed"), std::string::npos);
  }
  EXPECT_EQ(view(client, reminder).at("status"), "unsubscribed");
  EXPECT_EQ(metric(metrics(client), R"(supportd_reminders_stopped_total{how="unsubscribe"})"), 1);
  EXPECT_EQ(redis.cli({"ZCARD", "supportd:rem:due"}), std::vector<std::string>{"0"});
  EXPECT_EQ(email.deliveries(), 1u);
  // The link's token is a credential: it stays out of the request logs.
  EXPECT_EQ(log_text(client).find(token.substr(dot + 1)), std::string::npos);
}

TEST_F(Reminders, DeleteWithTheManageTokenLeavesNothing) {
  start();
  raw_client client(service->http_port(), false);
  auto reminder = sign_up(client, "reader@example.org");
  auto kept = sign_up(client, "other@example.org");
  const auto target = "/v1/reminders/" + reminder.id;
  EXPECT_EQ(status(send(client, "DELETE", target)), 401);
  EXPECT_EQ(status(send(client, "DELETE", target, bearer(kept.manage_token))), 404);
  EXPECT_EQ(status(send(client, "DELETE", target, bearer(reminder.manage_token + "x"))), 404);
  EXPECT_EQ(view(client, reminder).at("status"), "pending");

  auto deleted = send(client, "DELETE", target, bearer(reminder.manage_token));
  ASSERT_EQ(status(deleted), 204);
  EXPECT_EQ(deleted->body, "");
  EXPECT_EQ(status(client.get(target, bearer(reminder.manage_token))), 404);
  EXPECT_EQ(status(send(client, "DELETE", target, bearer(reminder.manage_token))), 404);
  EXPECT_EQ(reminder_keys(),
            (std::set<std::string>{"supportd:rem:due", "supportd:rem:" + kept.id}));
  EXPECT_EQ(redis.cli({"ZRANGE", "supportd:rem:due", "0", "-1"}),
            std::vector<std::string>{kept.id});
  EXPECT_EQ(view(client, kept).at("status"), "pending");
}

TEST_F(Reminders, AdminReSealingWalksEveryReminderAndSaysWhenDone) {
  start();
  raw_client client(service->http_port(), false);
  sign_up(client, "reader@example.org", "winter");
  sign_up(client, "neighbour@example.org", "winter");
  auto reseal = [&](const std::string& query, const std::string& token = admin_token) {
    return send(client, "POST", "/admin/reminders/reseal" + query,
                token.empty() ? "" : bearer(token));
  };
  EXPECT_EQ(status(reseal("", "")), 401);
  for (auto bad :
       {"?cursor=abc", "?limit=0", "?limit=100001", "?cursor=1&limit=x", "?limit=12abc"}) {
    auto refused = reseal(bad);
    ASSERT_EQ(status(refused), 422) << bad;
    EXPECT_EQ(refused->header("content-type"), "application/problem+json");
  }
  EXPECT_EQ(fields_named(*reseal("?cursor=-1&limit=0")),
            (std::set<std::string>{"cursor", "limit"}));
  // Everything is under the one key already: the walk finds both and re-seals nothing.
  std::int64_t examined = 0;
  std::string cursor = "0";
  for (int calls = 0; calls < 1000; ++calls) {
    auto step = reseal("?cursor=" + cursor + "&limit=1");
    ASSERT_EQ(status(step), 200) << (step ? step->body : "");
    auto report = json::parse(step->body).as_object();
    EXPECT_EQ(report.at("resealed").as_int64(), 0);
    examined += report.at("examined").as_int64();
    cursor = std::string(report.at("cursor").as_string());
    if (report.at("done").as_bool()) {
      break;
    }
  }
  EXPECT_EQ(cursor, "0");
  EXPECT_EQ(examined, 2);
}

TEST_F(Reminders, AdminErasureRemovesOneReadersRemindersOnly) {
  start();
  raw_client client(service->http_port(), false);
  auto winter = sign_up(client, "reader@example.org", "winter");
  auto spring = sign_up(client, "reader@example.org", "spring");
  auto neighbour = sign_up(client, "neighbour@example.org", "winter");
  auto erase = [&](const std::string& body, const std::string& token = admin_token) {
    return send(client, "POST", "/admin/erasure", token.empty() ? "" : bearer(token),
                "application/json", body);
  };

  auto anonymous = erase(R"({"email":"reader@example.org"})", "");
  ASSERT_EQ(status(anonymous), 401);
  EXPECT_EQ(status(erase(R"({"email":"reader@example.org"})", winter.manage_token)), 401);
  for (auto bad : {"", "{}", "not json", R"({"email":"nope"})", R"({"email":42})", "[]"}) {
    auto refused = erase(bad);
    ASSERT_EQ(status(refused), 422) << bad;
    EXPECT_EQ(refused->header("content-type"), "application/problem+json");
    EXPECT_EQ(fields_named(*refused), std::set<std::string>{"email"});
  }
  EXPECT_EQ(view(client, winter).at("status"), "pending");

  auto erased = erase(R"({"email":" Reader@Example.ORG "})");
  ASSERT_EQ(status(erased), 200) << (erased ? erased->body : "");
  EXPECT_EQ(json::parse(erased->body).at("reminders_removed").as_int64(), 2);
  EXPECT_EQ(status(client.get("/v1/reminders/" + winter.id, bearer(winter.manage_token))), 404);
  EXPECT_EQ(status(client.get("/v1/reminders/" + spring.id, bearer(spring.manage_token))), 404);
  EXPECT_EQ(view(client, neighbour).at("status"), "pending");
  EXPECT_EQ(reminder_keys(),
            (std::set<std::string>{"supportd:rem:due", "supportd:rem:" + neighbour.id}));
  auto again = erase(R"({"email":"reader@example.org"})");
  ASSERT_EQ(status(again), 200);
  EXPECT_EQ(json::parse(again->body).at("reminders_removed").as_int64(), 0);
  EXPECT_EQ(metric(metrics(client), "supportd_reminder_erasures_total"), 2);
  EXPECT_EQ(lower(log_text(client)).find("example.org"), std::string::npos);

  // No deliveries are configured here, so nothing has died.
  auto letters = client.get("/admin/reminders/dead-letters", bearer(admin_token));
  ASSERT_EQ(status(letters), 200);
  EXPECT_EQ(letters->body, "[]");
  EXPECT_EQ(status(client.get("/admin/reminders/dead-letters")), 401);
}

TEST_F(Reminders, AGoneEmailServiceDeadLettersAReminderAndAReplaySendsItAgain) {
  email.answer_with(410);
  start_delivering();
  raw_client client(service->http_port(), false);
  auto reminder = sign_up(client, "reader@example.org", "winter", R"("remind_in":"PT1S")");
  ASSERT_TRUE(email.delivery(1, 10s));
  auto dead = wait_for(client, reminder, [](const json::value& v) {
    return v.is_object() && v.at("status") == "dead";
  });
  ASSERT_EQ(dead.at("status"), "dead");

  EXPECT_EQ(status(client.get("/admin/reminders/dead-letters", bearer(reminder.manage_token))),
            401);
  auto letters = client.get("/admin/reminders/dead-letters", bearer(admin_token));
  ASSERT_EQ(status(letters), 200);
  auto listed = json::parse(letters->body).as_array();
  ASSERT_EQ(listed.size(), 1u) << letters->body;
  EXPECT_EQ(listed[0].at("id").as_string(), reminder.id);
  EXPECT_EQ(listed[0].at("status"), "dead");
  EXPECT_EQ(listed[0].at("last_error"), "410 Gone");
  EXPECT_NE(unix_time_of(std::string(listed[0].at("died_at").as_string())), -1);
  EXPECT_EQ(letters->body.find("example.org"), std::string::npos);

  // The operator fixed the email service and replays the letter: it is sent again and delivered.
  email.answer_with(204);
  const auto replay = "/admin/reminders/dead-letters/" + reminder.id + "/replay";
  EXPECT_EQ(status(send(client, "POST", replay)), 401);
  auto replayed = send(client, "POST", replay, bearer(admin_token));
  ASSERT_EQ(status(replayed), 202) << (replayed ? replayed->body : "");
  EXPECT_EQ(json::parse(replayed->body).at("status"), "pending");
  auto resent = email.delivery(2, 10s);
  ASSERT_TRUE(resent);
  EXPECT_EQ(resent->at("data").at("reminder_id").as_string(), reminder.id);
  auto delivered = wait_for(client, reminder, [](const json::value& v) {
    return v.is_object() && v.at("status") == "delivered";
  });
  EXPECT_EQ(delivered.at("status"), "delivered");
  EXPECT_EQ(client.get("/admin/reminders/dead-letters", bearer(admin_token))->body, "[]");
  EXPECT_EQ(status(send(client, "POST", replay, bearer(admin_token))), 404);

  auto exposition = metrics(client);
  EXPECT_EQ(metric(exposition, R"(supportd_reminder_deliveries_total{outcome="gone"})"), 1);
  EXPECT_EQ(metric(exposition, R"(supportd_reminder_deliveries_total{outcome="delivered"})"), 1);
}

TEST_F(Reminders, TooManySignUpsForOneAddressAre429WithRetryAfter) {
  start({"--reminder-signups-per-email-per-hour=2"});
  raw_client client(service->http_port(), false);
  sign_up(client, "reader@example.org", "winter");
  sign_up(client, "reader@example.org", "spring");
  auto limited = post_json(client, sign_up_json(" READER@example.org", "summer"));
  ASSERT_EQ(status(limited), 429);
  EXPECT_EQ(limited->header("content-type"), "application/problem+json");
  EXPECT_EQ(json::parse(limited->body).at("code"), "rate_limited");
  const int retry_after = std::stoi(limited->header("retry-after"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 3600);
  EXPECT_EQ(reminder_keys().size(), 3u);  // two reminders and the due set

  auto other = post_json(client, sign_up_json("neighbour@example.org", "summer"));
  EXPECT_EQ(status(other), 201);
  EXPECT_EQ(metric(metrics(client),
                   R"(supportd_reminder_requests_refused_total{reason="email_rate_limited"})"),
            1);
  // The count is kept under a keyed hash, never the address.
  EXPECT_EQ(stored().find("example.org"), std::string::npos);
}

TEST_F(Reminders, MetricsCountSignUpsAndRefusals) {
  start();
  raw_client client(service->http_port(), false);
  sign_up(client, "one@example.org");
  sign_up(client, "two@example.org");
  sign_up(client, "one@example.org", "winter", R"("remind_in":"P8D")");
  post_json(client, R"({"email":"nope"})");
  post_json(client, sign_up_json("three@example.org", "4111111111111111"));
  post_json(client, sign_up_json("four@example.org"), "Origin: https://evil.test\r\n");

  auto exposition = metrics(client);
  EXPECT_EQ(metric(exposition, R"(supportd_reminder_signups_total{outcome="created"})"), 3)
      << exposition;
  EXPECT_EQ(metric(exposition, R"(supportd_reminder_requests_refused_total{reason="invalid"})"), 1);
  EXPECT_EQ(metric(exposition, R"(supportd_reminder_requests_refused_total{reason="card_number"})"),
            1);
  EXPECT_EQ(metric(exposition, R"(supportd_reminder_requests_refused_total{reason="origin"})"), 1);
  EXPECT_NE(
      exposition.find(
          R"(supportd_http_requests_total{route="/v1/reminders",method="POST",status="201"} 3)"),
      std::string::npos);
}

TEST_F(Reminders, WithoutDataKeysRemindersAreOffAndSayWhy) {
  supportd_process plain(redis.url(),
                         {std::string("--allowed-origins=") + site, "--rate-limit-per-minute=0"});
  ASSERT_TRUE(plain.wait_ready(10s));
  raw_client client(plain.http_port(), false);
  auto r = post_json(client, sign_up_json("reader@example.org"));
  ASSERT_EQ(status(r), 503);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  auto problem = json::parse(r->body);
  EXPECT_EQ(problem.at("code"), "reminders_off");
  EXPECT_NE(problem.at("detail").as_string().find("--data-key-file"), std::string::npos);
  EXPECT_EQ(status(client.get("/v1/reminders/AAAAAAAAAAAAAAAAAAAA", bearer("rt_x"))), 503);
  EXPECT_EQ(status(client.get("/healthz")), 200);
  EXPECT_TRUE(reminder_keys().empty());
}

}  // namespace
}  // namespace supportd::test

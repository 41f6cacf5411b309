// The reader's manage page end to end: the real supportd, a real Redis, fake-stripe and the
// stand-in email service. The manage link is the one a paid pledge's thank-you message carries;
// links supportd never sent are signed here with the same --link-secret-file (pledge_links).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "core/clock.hpp"
#include "e2e/fake_stripe_peer.hpp"
#include "pledges/pledge_links.hpp"
#include "support/email_service.hpp"
#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr std::string_view link_secret = "0123456789abcdef0123456789abcdef-links";
constexpr std::string_view public_url = "https://support.test";

class ManageLink : public ::testing::Test {
 protected:
  void SetUp() override {
    make_certificate(dir.path() / "stripe-cert.pem", dir.path() / "stripe-key.pem", "fake-stripe");
    std::ofstream(dir.path() / "stripe-secret") << "sk_test_supportd\n";
    std::ofstream(dir.path() / "link-secret") << link_secret << "\n";
    std::ofstream(dir.path() / "webhook-secret") << "whsec_e2e\n";
    std::ofstream(dir.path() / "data-keys") << "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
    std::ofstream(dir.path() / "notify-secret")
        << "whsec_a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n";
    stripe_port = free_port();
    std::vector<std::string> args = {
        "--stripe-webhook-secret-file=" + (dir.path() / "webhook-secret").string(),
        "--stripe-secret-key-file=" + (dir.path() / "stripe-secret").string(),
        "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
        "--stripe-ca-file=" + (dir.path() / "stripe-cert.pem").string(),
        "--link-secret-file=" + (dir.path() / "link-secret").string(),
        "--data-key-file=" + (dir.path() / "data-keys").string(),
        "--notify-url=" + email.url(),
        "--notify-secret-file=" + (dir.path() / "notify-secret").string(),
        "--reminder-poll=100ms",
        "--public-url=" + std::string(public_url),
        "--give-url=http://shop.test/give",
        "--allowed-origins=http://shop.test",
        "--manage-page-stylesheet=https://news.test/css/manage.css",
    };
    service = std::make_unique<supportd_process>(redis.url(), with_test_rate_limit(args, {}));
    ASSERT_TRUE(service->wait_ready(10s));
    stripe = start_fake_stripe(dir.path(), stripe_port, service->http_port(), "whsec_e2e");
    ASSERT_EQ(listening_port(*stripe), stripe_port);
    client = std::make_unique<raw_client>(service->http_port(), false);
  }

  struct made_pledge {
    std::string id, token, checkout, cancel_link;
  };
  made_pledge pledge(const std::string& amount, const std::string& currency) {
    const std::string body = R"({"amount":")" + amount + R"(","currency":")" + currency +
                             R"(","interval":"month","email":"reader@example.org",)"
                             R"("name":"Ada Reader","campaign":"winter","locale":"en-GB",)"
                             R"("success_url":"http://shop.test/thanks",)"
                             R"("cancel_url":"http://shop.test/donate"})";
    auto r = post("/v1/pledges", body);
    EXPECT_EQ(status(r), 201) << (r ? r->body : "");
    if (status(r) != 201) {
      return {};
    }
    auto o = json::parse(r->body).as_object();
    return {std::string(o.at("id").as_string()), std::string(o.at("manage_token").as_string()),
            std::string(o.at("checkout_url").as_string()),
            std::string(o.at("cancel_link").as_string())};
  }
  // A pledge paid on the checkout page; its manage link's path, from the thank-you message.
  std::pair<made_pledge, std::string> paid_pledge(const std::string& amount,
                                                  const std::string& currency) {
    auto made = pledge(amount, currency);
    shell_output("curl -sk -o /dev/null -X POST '" + made.checkout + "'");
    auto message = email.delivery(++deliveries_seen, 10s);
    if (!message) {
      ADD_FAILURE() << "no thank-you message";
      return {made, ""};
    }
    const auto& data = message->at("data").as_object();
    EXPECT_EQ(message->at("type"), "pledge.thank_you");
    EXPECT_EQ(data.at("pledge_id"), made.id.c_str());
    return {made, path_of(std::string(data.at("manage_url").as_string()))};
  }
  static std::string path_of(const std::string& link) {
    EXPECT_TRUE(link.starts_with(public_url)) << link;
    return link.substr(public_url.size());
  }
  std::optional<raw_response> post(const std::string& path, const std::string& body,
                                   const std::string& extra = "") {
    client->send("POST " + path +
                 " HTTP/1.1\r\nHost: support.test\r\nContent-Type: application/json\r\n"
                 "Content-Length: " +
                 std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
    return client->read_response(20s);
  }
  // GET /v1/pledges/{id} as its reader: everything a change would show up in.
  std::string pledge_json(const made_pledge& p) {
    auto r = client->get("/v1/pledges/" + p.id, "Authorization: Bearer " + p.token + "\r\n");
    EXPECT_EQ(status(r), 200) << (r ? r->body : "");
    return r ? r->body : "";
  }
  std::string policy() const {
    return "default-src 'none'; style-src https://news.test; font-src https://news.test; "
           "img-src https://news.test; form-action 'self' https://127.0.0.1:" +
           std::to_string(stripe_port) + "; frame-ancestors 'none'; base-uri 'none'";
  }

  temp_dir dir;
  redis_server redis;
  email_service email;
  std::unique_ptr<child_process> stripe;
  int stripe_port = 0;
  std::unique_ptr<supportd_process> service;
  std::unique_ptr<raw_client> client;
  std::size_t deliveries_seen = 0;
};

bool has(const std::string& page, const std::string& part) {
  return page.find(part) != std::string::npos;
}

TEST_F(ManageLink, APaidMonthlyPledgesLinkShowsItsTermsAndAFormForEachChange) {
  auto [made, link] = paid_pledge("5", "USD");
  ASSERT_TRUE(link.starts_with("/v1/pledges/" + made.id + "/manage?token=")) << link;
  const auto token = link.substr(link.find("token=") + 6);
  const auto seen = json::parse(pledge_json(made)).as_object();
  ASSERT_TRUE(seen.at("next_charge_at").is_string()) << seen;
  const std::string next_day(seen.at("next_charge_at").as_string().subview().substr(0, 10));

  auto page = client->get(link);
  ASSERT_EQ(status(page), 200) << (page ? page->body : "");
  EXPECT_EQ(page->header("content-type"), "text/html; charset=utf-8");
  const auto& html = page->body;
  EXPECT_TRUE(has(html, "<dt>Status</dt><dd>Active</dd>")) << html;
  EXPECT_TRUE(has(html, "<dt>Amount</dt><dd>5.00 USD</dd>")) << html;
  EXPECT_TRUE(has(html, "<dt>How often</dt><dd>Every month</dd>")) << html;
  EXPECT_TRUE(has(html, "<dt>Next payment</dt><dd><time datetime=\"" + next_day + "\">")) << html;
  for (auto route : {"payment-method", "amount", "pause", "cancel"}) {
    EXPECT_TRUE(
        has(html, "<form method=\"post\" action=\"/v1/pledges/" + made.id + "/" + route + "\">"))
        << route << "\n"
        << html;
  }
  EXPECT_TRUE(has(html, "<input type=\"hidden\" name=\"token\" value=\"" + token + "\">"));
  EXPECT_TRUE(has(html, "<link rel=\"stylesheet\" href=\"https://news.test/css/manage.css\">"));
  EXPECT_FALSE(has(html, "<script"));
  EXPECT_FALSE(has(html, "class=\"notice\""));

  // The token is in the URL: never cached, never framed, never sent on as a Referer.
  EXPECT_EQ(page->header("cache-control"), "no-store");
  EXPECT_EQ(page->header("referrer-policy"), "no-referrer");
  EXPECT_EQ(page->header("x-frame-options"), "DENY");
  EXPECT_EQ(page->header("content-security-policy"), policy());

  // Back from a change, with its notice.
  auto back = client->get(link + "&done=amount_changed");
  ASSERT_EQ(status(back), 200);
  EXPECT_TRUE(has(back->body, "<p class=\"notice\" role=\"status\">Your new amount applies"))
      << back->body;
}

TEST_F(ManageLink, AYenPledgeIsShownInWholeYen) {
  auto [made, link] = paid_pledge("500", "JPY");
  auto page = client->get(link);
  ASSERT_EQ(status(page), 200) << (page ? page->body : "");
  EXPECT_TRUE(has(page->body, "<dt>Amount</dt><dd>500 JPY</dd>")) << page->body;
  EXPECT_TRUE(has(page->body, "step=\"1\" value=\"500\"")) << page->body;
}

TEST_F(ManageLink, AWrongLinkAndAnUnknownPledgeGetTheSameAnswer) {
  const auto made = pledge("5", "USD");
  ASSERT_FALSE(made.id.empty());
  const pledges::pledge_links links(std::string(link_secret), std::string(public_url), "");
  const auto now = core::now_unix_seconds();
  const auto good = path_of(links.manage_url(made.id, now));
  auto page = client->get(good);
  ASSERT_EQ(status(page), 200) << (page ? page->body : "");  // the pledge's own link opens it
  EXPECT_TRUE(has(page->body, "We have not received your first payment yet.")) << page->body;

  const auto token = good.substr(good.find("token=") + 6);
  const auto cancel_token = made.cancel_link.substr(made.cancel_link.find("token=") + 6);
  const auto other = path_of(links.manage_url("pl_someoneelse0000", now));
  const auto base = "/v1/pledges/" + made.id + "/manage";
  const std::pair<std::string, std::string> refused[] = {
      {"no token", base},
      {"an empty token", base + "?token="},
      {"a token changed by one character",
       base + "?token=" + token.substr(0, token.size() - 1) + (token.back() == 'A' ? "B" : "A")},
      {"an expired token", path_of(links.manage_url(made.id, now - 731 * 24 * 3600))},
      {"the cancel link's token", base + "?token=" + cancel_token},
      {"another pledge's token", base + other.substr(other.find('?'))},
      {"a pledge that is not there", other},
      {"no pledge id", "/v1/pledges/x/manage" + other.substr(other.find('?'))},
  };
  std::optional<raw_response> first;
  for (const auto& [what, target] : refused) {
    auto r = client->get(target);
    ASSERT_EQ(status(r), 404) << what << ": " << (r ? r->body : "");
    EXPECT_EQ(r->header("content-type"), "text/html; charset=utf-8") << what;
    EXPECT_TRUE(has(r->body, "<h1>This link does not work</h1>")) << what;
    EXPECT_FALSE(has(r->body, made.id)) << what;
    EXPECT_EQ(r->header("cache-control"), "no-store") << what;
    EXPECT_EQ(r->header("referrer-policy"), "no-referrer") << what;
    EXPECT_EQ(r->header("x-frame-options"), "DENY") << what;
    EXPECT_EQ(r->header("content-security-policy"), policy()) << what;
    if (!first) {
      first = r;
      continue;
    }
    // Byte for byte the same, every header but the request's own id.
    auto headers = r->headers;
    auto first_headers = first->headers;
    headers.erase("x-request-id");
    first_headers.erase("x-request-id");
    EXPECT_EQ(headers, first_headers) << what;
    EXPECT_EQ(r->body, first->body) << what;
  }
}

TEST_F(ManageLink, FollowingTheLinkChangesNothing) {
  auto [made, link] = paid_pledge("5", "USD");
  const auto before = pledge_json(made);
  // A mail scanner's HEAD and GETs, and a GET that says a change was made.
  const auto url = "http://127.0.0.1:" + std::to_string(service->http_port()) + link;
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(shell_output("curl -s -o /dev/null -w '%{http_code}' -I '" + url + "'"), "200");
    EXPECT_EQ(status(client->get(link)), 200);
  }
  EXPECT_EQ(status(client->get(link + "&done=canceled")), 200);
  EXPECT_EQ(pledge_json(made), before);
  const auto seen = json::parse(before).as_object();
  EXPECT_EQ(seen.at("status"), "active");
}

TEST_F(ManageLink, TheLinksTokenCancelsAndThePageThenHasNothingToChange) {
  auto [made, link] = paid_pledge("5", "USD");
  const auto token = link.substr(link.find("token=") + 6);
  auto canceled = post("/v1/pledges/" + made.id + "/cancel?token=" + token, "{}");
  ASSERT_EQ(status(canceled), 200) << (canceled ? canceled->body : "");
  EXPECT_EQ(json::parse(canceled->body).at("status"), "canceled");
  auto page = client->get(link);
  ASSERT_EQ(status(page), 200);
  EXPECT_TRUE(has(page->body, "<dt>Status</dt><dd>Cancelled</dd>")) << page->body;
  EXPECT_FALSE(has(page->body, "<form")) << page->body;
  EXPECT_FALSE(has(page->body, "Next payment")) << page->body;
  EXPECT_TRUE(has(page->body,
                  "<a href=\"http://shop.test/give?source=pledge_restart&amp;amount_minor=500&amp;"
                  "currency=USD&amp;interval=month&amp;campaign=winter\">Give again</a>"))
      << page->body;
  // Another pledge's manage link cancels nothing.
  const auto other = pledge("7", "USD");
  auto refused = post("/v1/pledges/" + other.id + "/cancel?token=" + token, "{}");
  EXPECT_EQ(status(refused), 404);
}

}  // namespace
}  // namespace supportd::test

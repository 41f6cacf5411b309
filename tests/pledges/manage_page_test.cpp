// The reader's manage page as HTML: the pledge's terms, the forms that apply to its state, the
// notice a change comes back with, escaping, and the page's Content-Security-Policy.
#include "pledges/manage_page.hpp"

#include <gtest/gtest.h>

#include "pledges/pledge_store.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

constexpr std::string_view token = "1803984397.TCgIYbJ25EChmWVvOdQLgG5MN0rY4VayliYVj90f11c";
constexpr std::int64_t jan_5_2027_ms = 1'799'107'200'000;  // 2027-01-05T00:00:00Z
constexpr std::int64_t day_ms = 24 * 3'600'000;

manage_view monthly_usd() {
  manage_view v;
  v.pledge_id = "pl_abc";
  v.status = pledge_state::active;
  v.amount_minor = 500;
  v.money = *find_currency("USD");
  v.every = interval::month;
  v.next_charge_at_ms = jan_5_2027_ms + 9 * 3'600'000;  // 09:00 UTC that day
  v.limits = {200, 1'000'000};
  return v;
}

std::string page_of(const manage_view& v, manage_notice notice = manage_notice::none,
                    const page_style& style = {}) {
  return render_manage_page(v, token, style, notice);
}

bool has(std::string_view page, std::string_view part) {
  return page.find(part) != std::string_view::npos;
}

std::size_t count(std::string_view page, std::string_view part) {
  std::size_t n = 0;
  for (auto at = page.find(part); at != std::string_view::npos; at = page.find(part, at + 1)) {
    ++n;
  }
  return n;
}

std::string form_to(std::string_view route) {
  return "<form method=\"post\" action=\"/v1/pledges/pl_abc/" + std::string(route) + "\">";
}

TEST(ManagePage, AnActiveMonthlyPledgeShowsItsTermsAndEveryChange) {
  const auto page = page_of(monthly_usd());
  EXPECT_TRUE(page.starts_with("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"));
  EXPECT_TRUE(has(page, "<title>Your support</title>"));
  EXPECT_TRUE(has(page, "<dt>Status</dt><dd>Active</dd>")) << page;
  EXPECT_TRUE(has(page, "<dt>Amount</dt><dd>5.00 USD</dd>")) << page;
  EXPECT_TRUE(has(page, "<dt>How often</dt><dd>Every month</dd>")) << page;
  EXPECT_TRUE(
      has(page, "<dt>Next payment</dt><dd><time datetime=\"2027-01-05\">5 January 2027</time>"))
      << page;
  for (auto route : {"payment-method", "amount", "pause", "cancel"}) {
    EXPECT_TRUE(has(page, form_to(route))) << route << "\n" << page;
  }
  EXPECT_FALSE(has(page, form_to("resume"))) << page;
  // Each form carries the link's token; there is no script anywhere.
  EXPECT_EQ(
      count(page, "<input type=\"hidden\" name=\"token\" value=\"" + std::string(token) + "\">"),
      4u);
  EXPECT_EQ(count(page, "<form "), 4u);
  EXPECT_FALSE(has(page, "<script"));
  EXPECT_TRUE(has(page, "<button type=\"submit\">Cancel your support</button>"));
  // The amount in major units, bounded by the pledge limits; pausing for one to three months.
  EXPECT_TRUE(has(page, "<label for=\"amount\">New amount (USD)</label>")) << page;
  EXPECT_TRUE(has(page,
                  "name=\"amount\" type=\"number\" inputmode=\"decimal\" min=\"2.00\" "
                  "max=\"10000.00\" step=\"0.01\" value=\"5.00\" required>"))
      << page;
  EXPECT_TRUE(has(page,
                  "<select id=\"months\" name=\"months\"><option value=\"1\">1 month</option>"
                  "<option value=\"2\">2 months</option><option value=\"3\">3 months</option>"
                  "</select>"))
      << page;
  // The headings name each form's section for screen readers.
  EXPECT_TRUE(has(page, "<section class=\"action\" aria-labelledby=\"cancel\"><h2 id=\"cancel\">"));
}

TEST(ManagePage, AmountsFollowTheirCurrencysMinorUnits) {
  auto yen = monthly_usd();
  yen.amount_minor = 500;
  yen.money = *find_currency("JPY");
  yen.limits = {50, 10'000};
  auto page = page_of(yen);
  EXPECT_TRUE(has(page, "<dd>500 JPY</dd>")) << page;
  EXPECT_TRUE(has(page, "min=\"50\" max=\"10000\" step=\"1\" value=\"500\"")) << page;
  EXPECT_TRUE(has(page, "New amount (JPY)"));

  auto dinar = monthly_usd();
  dinar.amount_minor = 1500;
  dinar.money = *find_currency("KWD");
  dinar.limits = {500, 10'000'000};
  page = page_of(dinar);
  EXPECT_TRUE(has(page, "<dd>1.500 KWD</dd>")) << page;
  EXPECT_TRUE(has(page, "min=\"0.500\" max=\"10000.000\" step=\"0.001\" value=\"1.500\"")) << page;

  auto yearly = monthly_usd();
  yearly.every = interval::year;
  yearly.amount_minor = 6000;
  page = page_of(yearly);
  EXPECT_TRUE(has(page, "<dd>60.00 USD</dd><dt>How often</dt><dd>Every year</dd>")) << page;
  // A yearly gift does not pause (pledge_changes.hpp): its other changes stay.
  EXPECT_FALSE(has(page, form_to("pause"))) << page;
  EXPECT_TRUE(has(page, form_to("amount")));
  EXPECT_TRUE(has(page, form_to("cancel")));
}

TEST(ManagePage, APausedPledgeOffersToResumeAndSaysWhenPaymentsResume) {
  auto v = monthly_usd();
  v.paused_until_ms = jan_5_2027_ms + 40 * day_ms;  // 14 February 2027
  const auto page = page_of(v);
  EXPECT_TRUE(has(page, "<dt>Status</dt><dd>Paused</dd>")) << page;
  EXPECT_TRUE(
      has(page, "<dt>Payments resume</dt><dd><time datetime=\"2027-02-14\">14 February 2027"))
      << page;
  EXPECT_FALSE(has(page, "Next payment"));
  EXPECT_TRUE(has(page, form_to("resume")));
  EXPECT_FALSE(has(page, form_to("pause")));
  EXPECT_FALSE(has(page, "name=\"months\""));
  EXPECT_TRUE(has(page, form_to("amount")));
  EXPECT_TRUE(has(page, form_to("cancel")));
}

TEST(ManagePage, APastDuePledgeAsksForANewCardAndKeepsEveryChange) {
  auto v = monthly_usd();
  v.status = pledge_state::past_due;
  const auto page = page_of(v);
  EXPECT_TRUE(has(page, "<dd>Your last payment did not go through; we will try again</dd>"));
  EXPECT_TRUE(has(page, "Your bank did not accept the last payment"));
  EXPECT_LT(page.find(form_to("payment-method")), page.find(form_to("amount")));
  EXPECT_EQ(count(page, "<form "), 4u);
}

TEST(ManagePage, AOneTimeGiftHasNothingToChange) {
  for (auto state : {pledge_state::paid, pledge_state::refunded, pledge_state::pending}) {
    auto v = monthly_usd();
    v.every = interval::once;
    v.status = state;
    v.amount_minor = 2500;
    const auto page = page_of(v);
    EXPECT_FALSE(has(page, "<form")) << to_string(state) << "\n" << page;
    EXPECT_FALSE(has(page, "Next payment"));
    EXPECT_TRUE(has(page, "<dd>25.00 USD</dd><dt>How often</dt><dd>Once</dd>")) << page;
    EXPECT_TRUE(has(page, "This was a one-time gift: there is nothing to change."));
  }
}

TEST(ManagePage, AnEndedPledgeHasNoFormsButAWayToGiveAgain) {
  for (auto state : {pledge_state::canceled, pledge_state::abandoned, pledge_state::failed}) {
    auto v = monthly_usd();
    v.status = state;
    v.restart_url = "https://news.test/give?amount_minor=500&currency=USD&interval=month";
    const auto page = page_of(v, manage_notice::none);
    EXPECT_FALSE(has(page, "<form")) << to_string(state) << "\n" << page;
    EXPECT_FALSE(has(page, "Next payment")) << page;
    EXPECT_TRUE(has(page, "This pledge has ended: no further payments will be taken."));
    EXPECT_TRUE(has(page,
                    "<a href=\"https://news.test/give?amount_minor=500&amp;currency=USD&amp;"
                    "interval=month\">Give again</a>"))
        << page;
  }
  auto v = monthly_usd();
  v.status = pledge_state::canceled;
  const auto page = page_of(v);
  EXPECT_TRUE(has(page, "<dt>Status</dt><dd>Cancelled</dd>"));
  EXPECT_FALSE(has(page, "Give again"));  // no give URL configured
}

TEST(ManagePage, APledgeNotYetPaidCanOnlyBeCancelled) {
  auto v = monthly_usd();
  v.status = pledge_state::pending;
  v.next_charge_at_ms = 0;
  const auto page = page_of(v);
  EXPECT_TRUE(has(page, "We have not received your first payment yet."));
  EXPECT_EQ(count(page, "<form "), 1u) << page;
  EXPECT_TRUE(has(page, form_to("cancel")));
}

TEST(ManagePage, AChangeComesBackWithItsNoticeAndNothingElseDoes) {
  const std::pair<std::string_view, std::string_view> notices[] = {
      {"amount_changed", "Your new amount applies from your next payment on."},
      {"paused", "Your payments are paused."},
      {"resumed", "Your payments have resumed."},
      {"canceled", "Your support is cancelled. No further payments will be taken."},
  };
  for (auto [done, text] : notices) {
    const auto page = page_of(monthly_usd(), parse_notice(done));
    EXPECT_TRUE(has(page, "<p class=\"notice\" role=\"status\">" + std::string(text) + "</p>"))
        << done << "\n"
        << page;
    EXPECT_LT(page.find("class=\"notice\""), page.find("<dl"));
  }
  for (auto done : {"", "Canceled", "deleted", "<b>paused</b>", "paused ", "refused"}) {
    EXPECT_EQ(parse_notice(done), manage_notice::none) << done;
    EXPECT_FALSE(has(page_of(monthly_usd(), parse_notice(done)), "class=\"notice")) << done;
  }
}

// A refused form comes back to the page too: an alert that nothing changed, and why, above
// the pledge's terms and its forms as they were.
TEST(ManagePage, ARefusedChangeComesBackWithAnAlertThatNothingChanged) {
  const std::pair<std::string_view, std::string_view> refusals[] = {
      {"amount_refused",
       "That amount cannot be used: it is outside the amounts we accept. Nothing was changed."},
      {"not_changed", "Nothing was changed: this pledge does not allow that change now."},
      {"try_again",
       "Nothing was changed: we could not reach our payment provider. Please try again in a few "
       "minutes."},
  };
  for (auto [done, text] : refusals) {
    const auto notice = parse_notice(done);
    EXPECT_EQ(to_string(notice), done);
    EXPECT_TRUE(is_refusal(notice)) << done;
    const auto page = page_of(monthly_usd(), notice);
    EXPECT_TRUE(
        has(page, "<p class=\"notice refused\" role=\"alert\">" + std::string(text) + "</p>"))
        << done << "\n"
        << page;
    EXPECT_FALSE(has(page, "role=\"status\"")) << done;
    EXPECT_LT(page.find("class=\"notice"), page.find("<dl"));
    EXPECT_TRUE(has(page, form_to("amount"))) << page;
  }
  EXPECT_FALSE(is_refusal(manage_notice::amount_changed));
}

TEST(ManagePage, EverythingThatVariesIsEscaped) {
  auto v = monthly_usd();
  v.pledge_id = "pl_\"><script>alert(1)</script>";
  v.status = pledge_state::canceled;
  v.restart_url = "https://news.test/give?x=\"onmouseover='y'";
  auto page = render_manage_page(v, "t\"><img src=x>&", {"https://news.test/a.css?\"x=<y>&z"},
                                 manage_notice::none);
  EXPECT_FALSE(has(page, "<script")) << page;
  EXPECT_FALSE(has(page, "<img")) << page;
  EXPECT_TRUE(has(page, "href=\"https://news.test/give?x=&quot;onmouseover=&#39;y&#39;\"")) << page;
  EXPECT_TRUE(has(page,
                  "<link rel=\"stylesheet\" href=\"https://news.test/a.css?&quot;x=&lt;y&gt;"
                  "&amp;z\">"))
      << page;

  v.status = pledge_state::active;
  page = render_manage_page(v, "t\"><img src=x>&", {}, manage_notice::none);
  EXPECT_FALSE(has(page, "<script")) << page;
  EXPECT_FALSE(has(page, "<img")) << page;
  EXPECT_TRUE(has(page,
                  "action=\"/v1/pledges/pl_&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
                  "/cancel\""))
      << page;
  EXPECT_TRUE(has(page, "value=\"t&quot;&gt;&lt;img src=x&gt;&amp;\"")) << page;
}

TEST(ManagePage, TheSitesStylesheetOrTheBuiltInStyleAndAPolicyThatAdmitsOnlyIt) {
  const page_style site{"https://news.test:8443/css/manage.css"};
  auto page = page_of(monthly_usd(), manage_notice::none, site);
  EXPECT_TRUE(
      has(page, "<link rel=\"stylesheet\" href=\"https://news.test:8443/css/manage.css\">"));
  EXPECT_FALSE(has(page, "<style"));
  EXPECT_FALSE(has(page, "style=\""));  // no inline style attribute: the policy would block it
  EXPECT_EQ(
      manage_page_policy(site, "https://billing.stripe.com"),
      "default-src 'none'; style-src https://news.test:8443; font-src https://news.test:8443; "
      "img-src https://news.test:8443; form-action 'self' https://billing.stripe.com; "
      "frame-ancestors 'none'; base-uri 'none'");

  // Without one, the page's own <style>, admitted by its hash and nothing else.
  page = page_of(monthly_usd());
  EXPECT_FALSE(has(page, "<link"));
  EXPECT_FALSE(has(page, "style=\""));
  const auto open = page.find("<style>");
  const auto close = page.find("</style>");
  ASSERT_NE(open, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  const auto css = page.substr(open + 7, close - open - 7);
  EXPECT_TRUE(has(css, "max-width:34rem"));
  const auto hash = "'sha256-" + security::base64(security::sha256(css)) + "'";
  EXPECT_EQ(manage_page_policy({}, "http://127.0.0.1:12111"),
            "default-src 'none'; style-src " + hash +
                "; form-action 'self' http://127.0.0.1:12111; frame-ancestors 'none'; "
                "base-uri 'none'");
  EXPECT_EQ(manage_page_policy({}, ""),
            "default-src 'none'; style-src " + hash +
                "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

TEST(ManagePage, TheCardUpdatesPageIsStripesBillingPortalOrTheStandInsOwnOrigin) {
  EXPECT_EQ(card_page_origin("https://api.stripe.com"), "https://billing.stripe.com");
  EXPECT_EQ(card_page_origin("https://API.stripe.com/"), "https://billing.stripe.com");
  EXPECT_EQ(card_page_origin("http://127.0.0.1:12111"), "http://127.0.0.1:12111");
  EXPECT_EQ(card_page_origin("not a url"), "");
}

TEST(ManagePage, ABrokenLinkPageSaysNothingOfThePledge) {
  const auto page = render_broken_link_page({});
  EXPECT_TRUE(has(page, "<title>This link does not work</title>"));
  EXPECT_TRUE(has(page, "<h1>This link does not work</h1>"));
  EXPECT_FALSE(has(page, "<form"));
  EXPECT_TRUE(has(page, "<style>"));
  EXPECT_TRUE(has(render_broken_link_page({"https://news.test/m.css"}),
                  "href=\"https://news.test/m.css\""));
}

TEST(ManagePage, TheViewOfAPledgeCountsAPauseOnlyWhileItIsAhead) {
  pledge_record p;
  p.id = "pl_abc";
  p.status = pledge_state::active;
  p.amount_minor = 750;
  p.currency = "EUR";
  p.every = interval::month;
  p.next_charge_at_ms = jan_5_2027_ms;
  p.paused_until_ms = jan_5_2027_ms + day_ms;
  const pledge_limits limits;
  auto v = view_of(p, limits, "https://news.test/give", jan_5_2027_ms);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->pledge_id, "pl_abc");
  EXPECT_EQ(v->amount_minor, 750);
  EXPECT_EQ(v->money.code, "EUR");
  EXPECT_EQ(v->every, interval::month);
  EXPECT_EQ(v->next_charge_at_ms, jan_5_2027_ms);
  EXPECT_EQ(v->paused_until_ms, jan_5_2027_ms + day_ms);
  EXPECT_EQ(v->limits.min_minor, 200);  // the default 2 to 10,000 a month
  EXPECT_EQ(v->limits.max_minor, 1'000'000);
  EXPECT_EQ(v->restart_url, "https://news.test/give");
  EXPECT_EQ(view_of(p, limits, "", jan_5_2027_ms + day_ms)->paused_until_ms, 0);  // ran out
  p.currency = "XXX";
  EXPECT_FALSE(view_of(p, limits, "", jan_5_2027_ms));
}

}  // namespace
}  // namespace supportd::pledges

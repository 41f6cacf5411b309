#include "pledges/manage_page.hpp"

#include <array>
#include <chrono>
#include <cstdio>

#include "common/url.hpp"
#include "http/html_page.hpp"
#include "pledges/pledge_store.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

// The look without a site stylesheet: readable on a phone, the terms in two columns. The policy
// admits exactly this text by its hash, so a byte changed here changes the hash with it.
constexpr std::string_view built_in_style =
    "body{font-family:system-ui,sans-serif;line-height:1.5;max-width:34rem;margin:2rem auto;"
    "padding:0 1rem}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}"
    "dt{font-weight:bold}dd{margin:0}"
    "section{border-top:1px solid #bbb;margin-top:1.5rem}"
    ".notice{border:2px solid #2a7a2a;padding:.5rem 1rem}.refused{border-color:#a1262a}"
    "button,input,select{font:inherit}button{padding:.3rem 1rem}";

// 'sha256-<base64 of the digest>', CSP's name for one inline <style> (CSP Level 3 §2.3.1).
const std::string& built_in_style_source() {
  static const std::string source =
      "'sha256-" + security::base64(security::sha256(built_in_style)) + "'";
  return source;
}

// "5 January 2027", in UTC: the day Stripe's billing runs by.
std::string long_date(std::int64_t unix_ms) {
  using namespace std::chrono;
  static constexpr std::array<std::string_view, 12> months = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  const year_month_day day{floor<days>(sys_time<milliseconds>(milliseconds(unix_ms)))};
  return std::to_string(static_cast<unsigned>(day.day())) + " " +
         std::string(months[static_cast<unsigned>(day.month()) - 1]) + " " +
         std::to_string(static_cast<int>(day.year()));
}

// <time datetime="2027-01-05">5 January 2027</time>
std::string date_element(std::int64_t unix_ms) {
  using namespace std::chrono;
  const year_month_day day{floor<days>(sys_time<milliseconds>(milliseconds(unix_ms)))};
  char iso[16];
  std::snprintf(iso, sizeof iso, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return std::string("<time datetime=\"") + iso + "\">" + long_date(unix_ms) + "</time>";
}

bool recurring(const manage_view& v) {
  return v.every != interval::once;
}

// An active or retrying subscription: the one state every change applies to.
bool running(const manage_view& v) {
  return recurring(v) && (v.status == pledge_state::active || v.status == pledge_state::past_due);
}

std::string_view status_text(const manage_view& v) {
  switch (v.status) {
    case pledge_state::pending:
      return "Waiting for your first payment";
    case pledge_state::active:
      return v.paused_until_ms != 0 ? "Paused" : "Active";
    case pledge_state::past_due:
      return "Your last payment did not go through; we will try again";
    case pledge_state::paid:
      return "Paid";
    case pledge_state::canceled:
      return "Cancelled";
    case pledge_state::refunded:
      return "Refunded";
    case pledge_state::disputed:
      return "Disputed";
    case pledge_state::abandoned:
      return "Not completed";
    case pledge_state::failed:
      return "The payment failed";
  }
  return "Unknown";
}

std::string_view interval_text(interval every) {
  switch (every) {
    case interval::month:
      return "Every month";
    case interval::year:
      return "Every year";
    case interval::once:
      break;
  }
  return "Once";
}

std::string_view notice_text(manage_notice n) {
  switch (n) {
    case manage_notice::amount_changed:
      return "Your new amount applies from your next payment on.";
    case manage_notice::paused:
      return "Your payments are paused.";
    case manage_notice::resumed:
      return "Your payments have resumed.";
    case manage_notice::canceled:
      return "Your support is cancelled. No further payments will be taken.";
    case manage_notice::amount_refused:
      return "That amount cannot be used: it is outside the amounts we accept. Nothing was "
             "changed.";
    case manage_notice::not_changed:
      return "Nothing was changed: this pledge does not allow that change now.";
    case manage_notice::try_again:
      return "Nothing was changed: we could not reach our payment provider. Please try again in "
             "a few minutes.";
    case manage_notice::none:
      break;
  }
  return {};
}

// The document around `main_html`, styled as `style` says.
std::string document(std::string_view title, const page_style& style, std::string_view main_html) {
  std::string page =
      "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>";
  page += title;
  page += "</title>";
  if (style.stylesheet_url.empty()) {
    page += "<style>";
    page += built_in_style;
    page += "</style>";
  } else {
    page += "<link rel=\"stylesheet\" href=\"";
    page += http::html_escaped(style.stylesheet_url);
    page += "\">";
  }
  page += "<body class=\"supportd-manage\"><main><h1>";
  page += title;
  page += "</h1>";
  page += main_html;
  page += "</main></body></html>";
  return page;
}

// <form method="post" action="/v1/pledges/<id>/<route>"> with the link's token, `fields_html`
// and a submit button.
std::string form(const manage_view& v, std::string_view route, std::string_view token,
                 std::string_view fields_html, std::string_view button) {
  std::string out = "<form method=\"post\" action=\"/v1/pledges/";
  out += http::html_escaped(v.pledge_id);
  out += '/';
  out += route;
  out += "\"><input type=\"hidden\" name=\"token\" value=\"";
  out += http::html_escaped(token);
  out += "\">";
  out += fields_html;
  out += "<button type=\"submit\">";
  out += button;
  out += "</button></form>";
  return out;
}

std::string section(std::string_view id, std::string_view heading, std::string_view body_html) {
  std::string out = "<section class=\"action\" aria-labelledby=\"";
  out += id;
  out += "\"><h2 id=\"";
  out += id;
  out += "\">";
  out += heading;
  out += "</h2>";
  out += body_html;
  out += "</section>";
  return out;
}

std::string terms(const manage_view& v) {
  std::string out = "<dl class=\"terms\"><dt>Status</dt><dd>";
  out += http::html_escaped(status_text(v));
  out += "</dd><dt>Amount</dt><dd>";
  out += format_major_amount(v.amount_minor, v.money);
  out += ' ';
  out += http::html_escaped(v.money.code);
  out += "</dd><dt>How often</dt><dd>";
  out += interval_text(v.every);
  out += "</dd>";
  if (running(v) && v.paused_until_ms != 0) {
    out += "<dt>Payments resume</dt><dd>" + date_element(v.paused_until_ms) + "</dd>";
  } else if (running(v) && v.next_charge_at_ms != 0) {
    out += "<dt>Next payment</dt><dd>" + date_element(v.next_charge_at_ms) + "</dd>";
  }
  out += "</dl>";
  return out;
}

// The amount field: major units, bounded by the pledge limits, in the currency's smallest step.
std::string amount_field(const manage_view& v) {
  std::string step = "1";
  if (v.money.exponent > 0) {
    step = "0." + std::string(static_cast<std::size_t>(v.money.exponent - 1), '0') + "1";
  }
  std::string out = "<label for=\"amount\">New amount (";
  out += http::html_escaped(v.money.code);
  out += ")</label> <input id=\"amount\" name=\"amount\" type=\"number\" inputmode=\"decimal\" ";
  if (v.limits.max_minor > 0) {
    out += "min=\"" + format_major_amount(v.limits.min_minor, v.money) + "\" max=\"" +
           format_major_amount(v.limits.max_minor, v.money) + "\" ";
  }
  out += "step=\"" + step + "\" value=\"" + format_major_amount(v.amount_minor, v.money) +
         "\" required> ";
  return out;
}

// The forms that apply to a running subscription: card, amount, pause or resume, cancel.
std::string actions(const manage_view& v, std::string_view token) {
  std::string out;
  out += section("card", "Your card",
                 std::string(v.status == pledge_state::past_due
                                 ? "<p>Your bank did not accept the last payment. A new card "
                                   "saves your support.</p>"
                                 : "<p>Change the card your payments are taken from.</p>") +
                     form(v, "payment-method", token, "", "Update your card"));
  out += section("change-amount", "Your amount",
                 "<p>A new amount applies from your next payment on; nothing is charged "
                 "now.</p>" +
                     form(v, "amount", token, amount_field(v), "Change the amount"));
  if (v.every != interval::month) {
    // Only a monthly pledge pauses (pledge_changes.hpp).
  } else if (v.paused_until_ms != 0) {
    out += section("pause", "Paused",
                   "<p>No payments are taken until " + long_date(v.paused_until_ms) + ".</p>" +
                       form(v, "resume", token, "", "Resume payments now"));
  } else {
    out += section("pause", "Take a break",
                   "<p>Skip up to three months; your support carries on after.</p>" +
                       form(v, "pause", token,
                            "<label for=\"months\">Pause for</label> <select id=\"months\" "
                            "name=\"months\"><option value=\"1\">1 month</option><option "
                            "value=\"2\">2 months</option><option value=\"3\">3 months</option>"
                            "</select> ",
                            "Pause payments"));
  }
  out += section("cancel", "Stop your support",
                 "<p>No further payments will be taken.</p>" +
                     form(v, "cancel", token, "", "Cancel your support"));
  return out;
}

// What else the page says: the forms that apply, or why there are none.
std::string what_applies(const manage_view& v, std::string_view token) {
  if (running(v)) {
    return actions(v, token);
  }
  if (!recurring(v)) {
    return "<p class=\"note\">This was a one-time gift: there is nothing to change. Thank you.</p>";
  }
  if (v.status == pledge_state::pending) {
    // No subscription yet to change; an unpaid checkout can still be closed.
    return "<p class=\"note\">We have not received your first payment yet.</p>" +
           section("cancel", "Stop your support",
                   "<p>The payment you started will not be taken.</p>" +
                       form(v, "cancel", token, "", "Cancel your support"));
  }
  std::string out =
      "<p class=\"note\">This pledge has ended: no further payments will be taken.</p>";
  if (!v.restart_url.empty()) {
    out += "<p><a href=\"" + http::html_escaped(v.restart_url) + "\">Give again</a></p>";
  }
  return out;
}

}  // namespace

std::optional<manage_view> view_of(const pledge_record& p, const pledge_limits& limits,
                                   std::string restart_url, std::int64_t now_unix_ms) {
  auto money = find_currency(p.currency);
  if (!money) {
    return std::nullopt;
  }
  manage_view v;
  v.pledge_id = p.id;
  v.status = p.status;
  v.amount_minor = p.amount_minor;
  v.money = *money;
  v.every = p.every;
  v.next_charge_at_ms = p.next_charge_at_ms;
  v.paused_until_ms = p.paused_until_ms > now_unix_ms ? p.paused_until_ms : 0;
  v.limits = limits.range(*money, p.every);
  v.restart_url = std::move(restart_url);
  return v;
}

constexpr std::array notices = {manage_notice::amount_changed, manage_notice::paused,
                                manage_notice::resumed,        manage_notice::canceled,
                                manage_notice::amount_refused, manage_notice::not_changed,
                                manage_notice::try_again};

manage_notice parse_notice(std::string_view done) {
  for (auto notice : notices) {
    if (to_string(notice) == done) {
      return notice;
    }
  }
  return manage_notice::none;
}

std::string_view to_string(manage_notice notice) {
  switch (notice) {
    case manage_notice::amount_changed:
      return "amount_changed";
    case manage_notice::paused:
      return "paused";
    case manage_notice::resumed:
      return "resumed";
    case manage_notice::canceled:
      return "canceled";
    case manage_notice::amount_refused:
      return "amount_refused";
    case manage_notice::not_changed:
      return "not_changed";
    case manage_notice::try_again:
      return "try_again";
    case manage_notice::none:
      break;
  }
  return {};
}

bool is_refusal(manage_notice notice) {
  return notice == manage_notice::amount_refused || notice == manage_notice::not_changed ||
         notice == manage_notice::try_again;
}

std::string render_manage_page(const manage_view& view, std::string_view token,
                               const page_style& style, manage_notice notice) {
  std::string main;
  if (auto text = notice_text(notice); !text.empty()) {
    // A refusal is an alert (read out at once); what was done, a status.
    main += is_refusal(notice) ? "<p class=\"notice refused\" role=\"alert\">"
                               : "<p class=\"notice\" role=\"status\">";
    main += text;
    main += "</p>";
  }
  main += terms(view);
  main += what_applies(view, token);
  return document("Your support", style, main);
}

std::string render_broken_link_page(const page_style& style) {
  return document("This link does not work", style,
                  "<p>The link has expired or is not valid. Use the link in the newest email "
                  "from us, or write to us and we will help.</p>");
}

std::string manage_page_policy(const page_style& style, std::string_view card_page_origin) {
  std::string policy = "default-src 'none'; ";
  if (style.stylesheet_url.empty()) {
    policy += "style-src " + built_in_style_source() + "; ";
  } else {
    // A site's stylesheet brings its fonts and background images from where it is, as a rule.
    const auto origin = common::origin_of(style.stylesheet_url).value_or("'none'");
    policy += "style-src " + origin + "; font-src " + origin + "; img-src " + origin + "; ";
  }
  policy += "form-action 'self'";
  if (!card_page_origin.empty()) {
    policy += ' ';
    policy += card_page_origin;
  }
  policy += "; frame-ancestors 'none'; base-uri 'none'";
  return policy;
}

std::string card_page_origin(std::string_view stripe_api_base) {
  auto origin = common::origin_of(stripe_api_base);
  if (!origin) {
    return {};
  }
  return *origin == "https://api.stripe.com" ? "https://billing.stripe.com" : *origin;
}

}  // namespace supportd::pledges

// The reader's manage page (GET /v1/pledges/{id}/manage?token=…, the link in every message): a
// pledge's terms and a form for each change that applies to it. Pure: pledge in, HTML out.
//
// It works with no JavaScript and loads nothing but a stylesheet: every change is a plain form
// post (method=post, the link's token in a hidden field) to the pledge's own routes beside the
// page, which answer 303 back here with `done=…`; so following the link (a mail scanner does)
// changes nothing. Everything that varies is escaped (http::html_escaped).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pledges/pledge.hpp"
#include "pledges/pledge_limits.hpp"
#include "pledges/pledge_state.hpp"

namespace supportd::pledges {

struct pledge_record;

// What the page shows of a pledge: its terms now, not its history or where it came from.
struct manage_view {
  std::string pledge_id;
  pledge_state status = pledge_state::pending;
  std::int64_t amount_minor = 0;
  currency money{};
  interval every = interval::once;
  std::int64_t next_charge_at_ms = 0;  // 0: none known
  std::int64_t paused_until_ms = 0;    // 0: collection is not paused
  // The amounts the pledge may change to (--pledge-limits), for the amount field's bounds.
  amount_range limits{0, 0};
  // An ended recurring pledge's way back: the site's donate page, prefilled; may be empty.
  std::string restart_url;
};

// The view of `p` at `now_unix_ms`: a pause that has run out is no pause. nullopt when the
// pledge's currency is none supportd knows (it only ever stores those).
std::optional<manage_view> view_of(const pledge_record& p, const pledge_limits& limits,
                                   std::string restart_url, std::int64_t now_unix_ms);

// What a form post came back to say (the query's `done`), shown above the pledge once: what was
// done, or why nothing was (a refused form goes back to the page too, not to a JSON problem).
enum class manage_notice {
  none,
  amount_changed,
  paused,
  resumed,
  canceled,
  amount_refused,  // the new amount is outside the amounts accepted
  not_changed,     // the pledge does not allow that change (any more)
  try_again,       // the payment provider or the store did not answer: nothing was changed
};
// Each notice by its name ("amount_changed", …, "try_again"); none for anything else.
manage_notice parse_notice(std::string_view done);
std::string_view to_string(manage_notice notice);
// Whether the notice says that nothing was changed.
bool is_refusal(manage_notice notice);

// The page's look: the site's stylesheet (--manage-page-stylesheet, an absolute http(s) URL),
// or, when empty, a small style of the page's own.
struct page_style {
  std::string stylesheet_url;
};

// The page for `view`, its forms carrying `token` (the link's). UTF-8 HTML.
std::string render_manage_page(const manage_view& view, std::string_view token,
                               const page_style& style, manage_notice notice);

// The page for a link that opens nothing: a wrong, expired or missing token, or a pledge that is
// not there. One page for all of them, so a link's answer tells nothing about the pledge.
std::string render_broken_link_page(const page_style& style);

// The pages' Content-Security-Policy: no script at all; styles only from the stylesheet's origin
// (or, without one, the built-in style, by its hash); forms posted only to supportd itself and to
// `card_page_origin`, where the card update's 303 leads (browsers hold a form's redirects to
// form-action too); never in a frame; no <base>.
std::string manage_page_policy(const page_style& style, std::string_view card_page_origin);

// Where Stripe's Billing Portal pages are for an API at `stripe_api_base`: billing.stripe.com for
// Stripe's own API, the stand-in's own origin for any other (tests and local runs serve their
// pages where they answer).
std::string card_page_origin(std::string_view stripe_api_base);

}  // namespace supportd::pledges

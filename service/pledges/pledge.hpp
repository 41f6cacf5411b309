// A pledge: a reader's promise to give an amount once, monthly or yearly, and the states it goes
// through.
#pragma once

#include <string>
#include <string_view>

#include "common/interval.hpp"
#include "common/money.hpp"

namespace supportd::pledges {

// A pledge's amount and repetition are the common money terms, which payment providers use too.
using common::currency;
using common::find_currency;
using common::format_major_amount;
using common::interval;
using common::minor_per_major;
using common::parse_interval;
using common::parse_major_amount;
using common::to_string;

// Where the pledge came from, for the site's own reporting. No personal data.
struct attribution {
  std::string campaign;
  std::string component;  // banner, epic, thank-you, …
  std::string variant;    // which version of the component (its words, amounts, placement)
  std::string page_url;
  std::string referrer;
  std::string country;  // from the trusted proxy's header, when configured
};

// Every manage token (the reader's bearer token for their pledge) begins with this, the rest
// random: a bearer token without it can only be the admin token.
inline constexpr std::string_view manage_token_prefix = "mt_";

}  // namespace supportd::pledges

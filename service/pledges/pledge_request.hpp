// A pledge as posted by a checkout form (JSON or application/x-www-form-urlencoded), and its
// validation. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/money.hpp"
#include "common/url.hpp"
#include "http/field_checks.hpp"
#include "http/problem.hpp"
#include "pledges/pledge.hpp"
#include "pledges/pledge_limits.hpp"

namespace supportd::pledges {

// The fields exactly as received; absent fields are empty.
struct pledge_fields {
  std::string amount;
  std::optional<std::int64_t> amount_minor;  // JSON only
  std::string currency;
  std::string interval;
  std::string email;
  std::string name;
  std::string payment_method;
  std::string campaign;
  std::string component;
  std::string variant;
  std::string page_url;
  std::string referrer;
  std::string locale;
  std::string success_url;
  std::string cancel_url;
  // True when some field held what looks like a card number; the value itself is dropped.
  bool card_number_seen = false;
};

using http::field_error;

// Parses a JSON object body. Unknown members are ignored (but still screened for card numbers).
// A body that is not a JSON object is one field_error with field "body".
std::variant<pledge_fields, field_error> parse_json_fields(std::string_view body);
std::variant<pledge_fields, field_error> parse_form_fields(std::string_view body);

struct pledge_rules {
  pledge_limits limits;
  // Exact origins ("https://news.example") that success_url, cancel_url and page_url may point
  // to.
  std::vector<std::string> allowed_origins;
};

struct valid_pledge {
  std::int64_t amount_minor = 0;
  currency money{};
  interval every = interval::once;
  std::string email;  // trimmed, lower-cased
  std::string name;
  std::string payment_method;
  attribution source;
  std::string locale;
  std::string success_url;
  std::string cancel_url;
};

// Every problem with every field, or the pledge to record. The country comes from the trusted
// proxy header, not the body.
std::variant<valid_pledge, std::vector<field_error>> validate(const pledge_fields& fields,
                                                              const pledge_rules& rules,
                                                              std::string_view country);

using common::origin_of;
using http::normalize_email;

}  // namespace supportd::pledges

#include "pledges/pledge_request.hpp"

#include <algorithm>
#include <boost/json/value.hpp>
#include <limits>

#include "http/body_fields.hpp"
#include "http/field_checks.hpp"
#include "pledges/pledge_amount.hpp"

namespace supportd::pledges {
namespace {

using http::is_locale;
using http::is_token;
using http::printable;

constexpr std::size_t max_text = 200;
constexpr std::size_t max_url = 2000;

// The text fields of a pledge, as both body formats name them.
constexpr http::text_field<pledge_fields> text_fields[] = {
    {"amount", &pledge_fields::amount},
    {"currency", &pledge_fields::currency},
    {"interval", &pledge_fields::interval},
    {"email", &pledge_fields::email},
    {"name", &pledge_fields::name},
    {"payment_method", &pledge_fields::payment_method},
    {"campaign", &pledge_fields::campaign},
    {"component", &pledge_fields::component},
    {"variant", &pledge_fields::variant},
    {"page_url", &pledge_fields::page_url},
    {"referrer", &pledge_fields::referrer},
    {"locale", &pledge_fields::locale},
    {"success_url", &pledge_fields::success_url},
    {"cancel_url", &pledge_fields::cancel_url},
};

std::optional<field_error> read_field(pledge_fields& f, std::string_view name,
                                      const http::body_value& value) {
  if (value.text) {
    return http::take_text(text_fields, f, name, *value.text);
  }
  // A JSON member that is not a string: only the amount may be a number.
  const auto& member = *value.json;
  if (name == "amount_minor") {
    if (member.is_int64()) {
      f.amount_minor = member.as_int64();
    } else if (member.is_uint64()) {
      f.amount_minor = std::numeric_limits<std::int64_t>::max();
    } else if (!f.card_number_seen) {
      return field_error{"amount_minor", "invalid", "amount_minor must be an integer."};
    }
  } else if (name == "amount" && member.is_number()) {
    return field_error{"amount", "invalid",
                       "amount must be a decimal string such as \"5.00\", or use amount_minor."};
  }
  return std::nullopt;
}

}  // namespace

std::variant<pledge_fields, field_error> parse_json_fields(std::string_view body) {
  return http::read_body_fields<pledge_fields>(body, false, read_field);
}

std::variant<pledge_fields, field_error> parse_form_fields(std::string_view body) {
  return http::read_body_fields<pledge_fields>(body, true, read_field);
}

std::variant<valid_pledge, std::vector<field_error>> validate(const pledge_fields& f,
                                                              const pledge_rules& rules,
                                                              std::string_view country) {
  std::vector<field_error> errors;
  valid_pledge p;

  if (f.card_number_seen) {
    errors.push_back(http::card_number_error());
  }

  auto c = find_currency(f.currency);
  if (f.currency.empty()) {
    errors.push_back({"currency", "required", "currency is required (ISO 4217, e.g. USD)."});
  } else if (!c) {
    errors.push_back({"currency", "unsupported", "This currency is not supported."});
  }

  auto every = parse_interval(f.interval);
  if (!every) {
    errors.push_back({"interval", f.interval.empty() ? "required" : "invalid",
                      "interval must be once, month or year."});
  }

  if (auto minor = validate_amount({f.amount, f.amount_minor}, c, every, rules.limits, errors)) {
    p.amount_minor = *minor;
  }

  if (f.email.empty()) {
    errors.push_back({"email", "required", "email is required."});
  } else if (auto email = normalize_email(f.email)) {
    p.email = std::move(*email);
  } else {
    errors.push_back({"email", "invalid", "email is not a valid address."});
  }

  auto check_text = [&](const std::string& value, std::string_view field, std::size_t limit) {
    if (value.size() > limit || !printable(value)) {
      errors.push_back({std::string(field), "invalid",
                        std::string(field) + " must be at most " + std::to_string(limit) +
                            " printable characters."});
    }
  };
  check_text(f.name, "name", max_text);
  check_text(f.page_url, "page_url", max_url);
  check_text(f.referrer, "referrer", max_url);
  // The page the reader pledged from is ours or nothing: it is kept as attribution and shown
  // back, so a javascript: URL or another site's page must not get in.
  if (!f.page_url.empty() && f.page_url.size() <= max_url) {
    if (auto error = http::page_url_error("page_url", f.page_url, rules.allowed_origins)) {
      errors.push_back(std::move(*error));
    }
  }
  for (auto [value, field] :
       {std::pair{&f.payment_method, "payment_method"}, std::pair{&f.campaign, "campaign"},
        std::pair{&f.component, "component"}, std::pair{&f.variant, "variant"}}) {
    if (!is_token(*value)) {
      errors.push_back({field, "invalid", std::string(field) + " must be a short identifier."});
    }
  }
  if (!f.locale.empty() && !is_locale(f.locale)) {
    errors.push_back({"locale", "invalid", "locale must be a language tag such as en-GB."});
  }

  for (auto [value, field] :
       {std::pair{&f.success_url, "success_url"}, std::pair{&f.cancel_url, "cancel_url"}}) {
    if (value->empty()) {
      errors.push_back({field, "required", std::string(field) + " is required."});
      continue;
    }
    auto origin = value->size() <= max_url ? origin_of(*value) : std::nullopt;
    if (!origin || std::find(rules.allowed_origins.begin(), rules.allowed_origins.end(), *origin) ==
                       rules.allowed_origins.end()) {
      errors.push_back({field, "origin_not_allowed",
                        std::string(field) + " must be an http(s) URL on an allowed origin."});
    }
  }

  if (!errors.empty()) {
    return errors;
  }
  p.money = *c;
  p.every = *every;
  p.name = f.name;
  // Empty when the reader picked none: Checkout then offers what the account's configuration has.
  p.payment_method = f.payment_method;
  p.source = {f.campaign, f.component, f.variant, f.page_url, f.referrer, std::string(country)};
  p.locale = f.locale;
  p.success_url = f.success_url;
  p.cancel_url = f.cancel_url;
  return p;
}

}  // namespace supportd::pledges

// POST /v1/checkout/sessions: the parameters checked the way Stripe's API checks them, and the
// accepted request they make. Pure: no I/O, no clock but the one passed in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "form_params.hpp"
#include "stripe_error.hpp"

namespace fake_stripe {

using metadata_map = std::map<std::string, std::string>;

// A price made inline from `line_items[i][price_data]`.
struct price_spec {
  std::string currency;
  std::int64_t unit_amount = 0;
  std::optional<std::string> product;   // an existing product's id, or…
  std::string product_name;             // …the name of the product made with it
  std::optional<std::string> interval;  // day, week, month, year; none for one-time prices
  std::int64_t interval_count = 1;
};

struct line_item_spec {
  price_spec price;
  std::int64_t quantity = 1;
};

struct checkout_request {
  std::string mode;  // payment, subscription, setup
  std::vector<line_item_spec> line_items;
  std::optional<std::string> currency;  // of the line items (or the `currency` param in setup mode)
  std::int64_t amount_total = 0;
  std::optional<std::string> success_url;
  std::optional<std::string> cancel_url;
  std::optional<std::string> customer;
  std::optional<std::string> customer_email;
  std::optional<std::string> client_reference_id;
  std::optional<std::string> submit_type;
  std::optional<std::string> locale;
  std::optional<std::string> billing_address_collection;
  std::optional<std::int64_t> expires_at;
  std::vector<std::string> payment_method_types;
  std::string payment_method_configuration;
  metadata_map metadata;
  metadata_map subscription_metadata;  // subscription_data[metadata]
  std::optional<std::string> subscription_description;
  metadata_map payment_intent_metadata;  // payment_intent_data[metadata]
  std::optional<std::string> payment_intent_description;
};

using checkout_result = std::variant<checkout_request, stripe_error>;

// Checks `params` as Stripe does for API version 2024-06-20; `now` is unix seconds.
checkout_result parse_checkout_request(const form_params& params, std::int64_t now);

// The parts of a `price_data` (at `pd`, e.g. "line_items[0][price_data]") that Checkout's line
// items and subscription items share: `unit_amount` (or a whole `unit_amount_decimal`),
// 0…99999999; and `recurring[interval]` with `interval_count` up to one year.
std::optional<stripe_error> parse_price_amount(const form_params& params, const std::string& pd,
                                               price_spec& price);
std::optional<stripe_error> parse_price_recurring(const form_params& params, const std::string& pd,
                                                  price_spec& price);

// Parses a Stripe integer parameter ("-12" yes, "1.5", "1e3" and "" no).
std::optional<std::int64_t> parse_stripe_integer(std::string_view text);

// Whether Stripe takes charges in `currency` (lower case, as Stripe writes it).
bool is_supported_currency(std::string_view currency);

// Stripe's refusal of a currency it does not take, naming the ones it does.
stripe_error unsupported_currency(std::string_view given, std::string param);

// An absolute http(s) URL without spaces, as Stripe's *_url parameters need.
bool is_http_url(std::string_view url);

// How many decimal places `currency` has in Stripe's amounts (0 for jpy, 3 for kwd, else 2).
int currency_exponent(std::string_view currency);

// The amount in major units with its currency, as Checkout shows it: "5.00 USD".
std::string format_amount(std::int64_t minor_units, std::string_view currency);

}  // namespace fake_stripe

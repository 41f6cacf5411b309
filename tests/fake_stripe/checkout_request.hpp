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

// Parses a Stripe integer parameter ("-12" yes, "1.5", "1e3" and "" no).
std::optional<std::int64_t> parse_stripe_integer(std::string_view text);

// How many decimal places `currency` has in Stripe's amounts (0 for jpy, 3 for kwd, else 2).
int currency_exponent(std::string_view currency);

// The amount in major units with its currency, as Checkout shows it: "5.00 USD".
std::string format_amount(std::int64_t minor_units, std::string_view currency);

}  // namespace fake_stripe

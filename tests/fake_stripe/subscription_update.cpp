#include "subscription_update.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

namespace fake_stripe {

namespace {

using namespace std::string_view_literals;

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// Stripe's parameters of a subscription update (API version 2024-06-20).
constexpr std::array update_params = {"add_invoice_items"sv,
                                      "application_fee_percent"sv,
                                      "automatic_tax"sv,
                                      "billing_cycle_anchor"sv,
                                      "billing_thresholds"sv,
                                      "cancel_at"sv,
                                      "cancel_at_period_end"sv,
                                      "cancellation_details"sv,
                                      "collection_method"sv,
                                      "coupon"sv,
                                      "days_until_due"sv,
                                      "default_payment_method"sv,
                                      "default_source"sv,
                                      "default_tax_rates"sv,
                                      "description"sv,
                                      "discounts"sv,
                                      "expand"sv,
                                      "invoice_settings"sv,
                                      "items"sv,
                                      "metadata"sv,
                                      "off_session"sv,
                                      "on_behalf_of"sv,
                                      "pause_collection"sv,
                                      "payment_behavior"sv,
                                      "payment_settings"sv,
                                      "pending_invoice_item_interval"sv,
                                      "promotion_code"sv,
                                      "proration_behavior"sv,
                                      "proration_date"sv,
                                      "transfer_data"sv,
                                      "trial_end"sv,
                                      "trial_from_plan"sv,
                                      "trial_settings"sv};
// The ones fake-stripe acts on; the others it refuses by name rather than ignore.
constexpr std::array modelled_params = {
    "cancel_at_period_end"sv, "cancellation_details"sv, "expand"sv, "items"sv, "metadata"sv,
    "pause_collection"sv,     "proration_behavior"sv};
constexpr std::array item_params = {
    "billing_thresholds"sv, "clear_usage"sv, "deleted"sv, "discounts"sv,  "id"sv,
    "metadata"sv,           "plan"sv,        "price"sv,   "price_data"sv, "quantity"sv,
    "tax_rates"sv};
constexpr std::array modelled_item_params = {"id"sv, "price"sv, "price_data"sv, "quantity"sv};
// A subscription item's price_data names an existing product: it has no product_data.
constexpr std::array item_price_data_params = {"currency"sv,    "product"sv,
                                               "recurring"sv,   "tax_behavior"sv,
                                               "unit_amount"sv, "unit_amount_decimal"sv};
constexpr std::array recurring_params = {"interval"sv, "interval_count"sv};
constexpr std::array pause_params = {"behavior"sv, "resumes_at"sv};
constexpr std::array cancellation_params = {"comment"sv, "feedback"sv};
constexpr std::array feedback_values = {
    "customer_service"sv, "low_quality"sv, "missing_features"sv, "other"sv,
    "switched_service"sv, "too_complex"sv, "too_expensive"sv,    "unused"sv};

bool is_index(std::string_view s) {
  return !s.empty() && s.size() <= 6 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string key_of(const std::vector<std::string>& segments, std::size_t n) {
  std::string key = segments[0];
  for (std::size_t i = 1; i < n && i < segments.size(); ++i) {
    key += "[" + segments[i] + "]";
  }
  return key;
}

stripe_error not_modelled(const std::string& param) {
  return invalid_request("fake-stripe does not model " + param + " on subscription updates.",
                         param);
}

stripe_error invalid_object(const std::string& param) {
  return invalid_request("Invalid object", param);
}

// Unknown names, scalars where Stripe expects an object, and empty strings where Stripe takes
// none (an empty string unsets a parameter, and only some can be unset).
std::optional<stripe_error> check_key(const std::vector<std::string>& s, const std::string& value) {
  const auto& top = s[0];
  if (!one_of(top, update_params)) {
    return parameter_unknown(top);
  }
  if (!one_of(top, modelled_params)) {
    return not_modelled(top);
  }
  const auto key = key_of(s, s.size());
  if (top == "expand") {
    return std::nullopt;
  }
  if (top == "metadata") {
    if (s.size() > 2 || (s.size() == 1 && !value.empty())) {
      return invalid_object("metadata");
    }
    return std::nullopt;  // `metadata=` clears it, `metadata[k]=` removes k
  }
  if (top == "pause_collection") {
    if (s.size() == 1) {
      return value.empty() ? std::nullopt : std::optional(invalid_object("pause_collection"));
    }
    if (!one_of(s[1], pause_params)) {
      return parameter_unknown(key_of(s, 2));
    }
    if (s.size() > 2) {
      return invalid_request("Invalid " + key_of(s, 2), key_of(s, 2));
    }
  } else if (top == "cancellation_details") {
    if (s.size() == 1) {
      return invalid_object("cancellation_details");
    }
    if (!one_of(s[1], cancellation_params)) {
      return parameter_unknown(key_of(s, 2));
    }
    if (s.size() > 2) {
      return invalid_request("Invalid " + key_of(s, 2), key_of(s, 2));
    }
    return std::nullopt;  // both can be unset
  } else if (top == "items") {
    if (s.size() < 3 || !is_index(s[1])) {
      return invalid_request("Invalid array", "items");
    }
    if (!one_of(s[2], item_params)) {
      return parameter_unknown(key_of(s, 3));
    }
    if (!one_of(s[2], modelled_item_params)) {
      return not_modelled(key_of(s, 3));
    }
    if (s[2] == "price_data") {
      if (s.size() < 4) {
        return invalid_object(key_of(s, 3));
      }
      if (!one_of(s[3], item_price_data_params)) {
        return parameter_unknown(key_of(s, 4));
      }
      if (s[3] == "tax_behavior") {
        return not_modelled(key_of(s, 4));
      }
      if (s[3] == "recurring") {
        if (s.size() < 5) {
          return invalid_object(key_of(s, 4));
        }
        if (!one_of(s[4], recurring_params)) {
          return parameter_unknown(key_of(s, 5));
        }
        if (s.size() > 5) {
          return invalid_request("Invalid " + key_of(s, 5), key_of(s, 5));
        }
      } else if (s.size() > 4) {
        return invalid_request("Invalid " + key_of(s, 4), key_of(s, 4));
      }
    } else if (s.size() > 3) {
      return invalid_request("Invalid " + key_of(s, 3), key_of(s, 3));
    }
  } else if (s.size() > 1) {
    return invalid_request("Invalid " + top, top);  // a scalar given as an object
  }
  if (value.empty()) {
    return parameter_invalid_empty(key);
  }
  return std::nullopt;
}

// The indices used under `items` (0, 1, …); nullopt unless they are 0..n-1.
std::optional<std::size_t> count_items(const form_params& params) {
  std::set<std::size_t> seen;
  for (const auto& [key, value] : params.flat()) {
    if (!key.starts_with("items[")) {
      continue;
    }
    auto close = key.find(']', 6);
    seen.insert(std::stoul(key.substr(6, close - 6)));
  }
  std::size_t expected = 0;
  for (auto index : seen) {
    if (index != expected++) {
      return std::nullopt;
    }
  }
  return seen.size();
}

std::optional<stripe_error> parse_item(const form_params& params, std::size_t i,
                                       item_update& item) {
  item.param = "items[" + std::to_string(i) + "]";
  const auto pd = item.param + "[price_data]";
  const bool has_price = params.contains(item.param + "[price]");
  const bool has_price_data = params.has_under(pd);
  if (has_price && has_price_data) {
    return invalid_request("You may only specify one of these parameters: price, price_data.",
                           item.param + "[price]", "parameters_exclusive");
  }
  if (has_price) {
    // There are no stored prices to name (as in Checkout).
    return resource_missing("price", *params.find(item.param + "[price]"), item.param + "[price]");
  }
  auto id = params.find(item.param + "[id]");
  if (!id) {
    if (has_price_data) {
      // At Stripe an item without an id is a new item beside the others.
      return invalid_request(
          "fake-stripe keeps one item per subscription: name the item to change with " +
              item.param + "[id].",
          item.param + "[id]");
    }
    return parameter_missing(item.param + "[id]");
  }
  item.id = *id;

  if (has_price_data) {
    price_spec price;
    auto currency = params.find(pd + "[currency]");
    if (!currency) {
      return parameter_missing(pd + "[currency]");
    }
    price.currency = *currency;
    std::transform(price.currency.begin(), price.currency.end(), price.currency.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    if (!is_supported_currency(price.currency)) {
      return unsupported_currency(*currency, pd + "[currency]");
    }
    auto product = params.find(pd + "[product]");
    if (!product) {
      return parameter_missing(pd + "[product]");
    }
    price.product = *product;
    if (!params.has_under(pd + "[recurring]")) {
      return parameter_missing(pd + "[recurring]");
    }
    if (auto e = parse_price_recurring(params, pd, price)) {
      return e;
    }
    if (auto e = parse_price_amount(params, pd, price)) {
      return e;
    }
    item.price = std::move(price);
  }
  if (auto text = params.find(item.param + "[quantity]")) {
    auto quantity = parse_stripe_integer(*text);
    if (!quantity) {
      return parameter_invalid_integer(item.param + "[quantity]", *text);
    }
    if (*quantity < 0 || *quantity > 999'999) {
      return invalid_request("Quantity must be between 0 and 999999.", item.param + "[quantity]",
                             "parameter_invalid_integer");
    }
    item.quantity = *quantity;
  }
  return std::nullopt;
}

std::optional<stripe_error> parse_pause(const form_params& params, std::int64_t now,
                                        subscription_update& update) {
  const bool unset = params.contains("pause_collection");
  const bool set = params.has_under("pause_collection[behavior]") ||
                   params.has_under("pause_collection[resumes_at]");
  if (unset && set) {
    return invalid_object("pause_collection");
  }
  if (unset) {
    update.pause_collection = std::optional<collection_pause>{};
    return std::nullopt;
  }
  if (!set) {
    return std::nullopt;
  }
  collection_pause pause;
  auto behavior = params.find("pause_collection[behavior]");
  if (!behavior) {
    return parameter_missing("pause_collection[behavior]");
  }
  if (!one_of(std::string_view(*behavior),
              std::array{"keep_as_draft"sv, "mark_uncollectible"sv, "void"sv})) {
    return invalid_enum("pause_collection[behavior]", "keep_as_draft, mark_uncollectible, or void");
  }
  pause.behavior = *behavior;
  if (auto text = params.find("pause_collection[resumes_at]")) {
    auto at = parse_stripe_integer(*text);
    if (!at) {
      return parameter_invalid_integer("pause_collection[resumes_at]", *text);
    }
    if (*at <= now) {
      return invalid_request("Invalid timestamp: must be in the future.",
                             "pause_collection[resumes_at]");
    }
    pause.resumes_at = *at;
  }
  update.pause_collection = pause;
  return std::nullopt;
}

}  // namespace

bool subscription_update::changes_billing() const {
  return cancel_at_period_end.has_value() || !items.empty() || pause_collection.has_value() ||
         proration_behavior_given;
}

subscription_update_result parse_subscription_update(const form_params& params, std::int64_t now) {
  // Names first: Stripe refuses a request with an unknown parameter whatever else it holds.
  for (const auto& [key, value] : params.flat()) {
    auto segments = split_key(key);
    if (!segments) {
      return invalid_request("Invalid request: malformed parameter name " + key);
    }
    if (auto e = check_key(*segments, value)) {
      return *e;
    }
  }

  subscription_update update;
  if (auto flag = params.find("cancel_at_period_end")) {
    if (*flag != "true" && *flag != "false") {
      return invalid_request("Invalid boolean: " + *flag, "cancel_at_period_end");
    }
    update.cancel_at_period_end = *flag == "true";
  }

  update.metadata_cleared = params.contains("metadata");
  update.metadata = params.children("metadata");
  if (update.metadata.size() > 50) {
    return invalid_request("Invalid metadata: metadata can have at most 50 keys.", "metadata");
  }
  for (const auto& [key, value] : update.metadata) {
    if (key.size() > 40) {
      return invalid_request("Invalid metadata: keys must be at most 40 characters long.",
                             "metadata[" + key + "]");
    }
    if (value.size() > 500) {
      return invalid_request("Invalid metadata: values must be at most 500 characters long.",
                             "metadata[" + key + "]");
    }
  }

  if (auto v = params.find("cancellation_details[comment]")) {
    update.cancellation_comment = *v;
  }
  if (auto v = params.find("cancellation_details[feedback]")) {
    if (!v->empty() && !one_of(std::string_view(*v), feedback_values)) {
      return invalid_enum("cancellation_details[feedback]",
                          "customer_service, low_quality, missing_features, other, "
                          "switched_service, too_complex, too_expensive, or unused");
    }
    update.cancellation_feedback = *v;
  }

  if (auto v = params.find("proration_behavior")) {
    if (!one_of(std::string_view(*v),
                std::array{"always_invoice"sv, "create_prorations"sv, "none"sv})) {
      return invalid_enum("proration_behavior", "always_invoice, create_prorations, or none");
    }
    update.proration_behavior = *v;
    update.proration_behavior_given = true;
  }

  auto count = count_items(params);
  if (!count) {
    return invalid_request("Invalid array", "items");
  }
  for (std::size_t i = 0; i < *count; ++i) {
    item_update item;
    if (auto e = parse_item(params, i, item)) {
      return *e;
    }
    update.items.push_back(std::move(item));
  }

  if (auto e = parse_pause(params, now, update)) {
    return *e;
  }
  return update;
}

}  // namespace fake_stripe

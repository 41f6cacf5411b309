#include "checkout_request.hpp"

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

// Stripe's parameters of Checkout Session creation (API version 2024-06-20).
constexpr std::array top_level_params = {"after_expiration"sv,
                                         "allow_promotion_codes"sv,
                                         "automatic_tax"sv,
                                         "billing_address_collection"sv,
                                         "cancel_url"sv,
                                         "client_reference_id"sv,
                                         "consent_collection"sv,
                                         "currency"sv,
                                         "custom_fields"sv,
                                         "custom_text"sv,
                                         "customer"sv,
                                         "customer_creation"sv,
                                         "customer_email"sv,
                                         "customer_update"sv,
                                         "discounts"sv,
                                         "expand"sv,
                                         "expires_at"sv,
                                         "invoice_creation"sv,
                                         "line_items"sv,
                                         "locale"sv,
                                         "metadata"sv,
                                         "mode"sv,
                                         "payment_intent_data"sv,
                                         "payment_method_collection"sv,
                                         "payment_method_configuration"sv,
                                         "payment_method_data"sv,
                                         "payment_method_options"sv,
                                         "payment_method_types"sv,
                                         "phone_number_collection"sv,
                                         "redirect_on_completion"sv,
                                         "return_url"sv,
                                         "saved_payment_method_options"sv,
                                         "setup_intent_data"sv,
                                         "shipping_address_collection"sv,
                                         "shipping_options"sv,
                                         "submit_type"sv,
                                         "subscription_data"sv,
                                         "success_url"sv,
                                         "tax_id_collection"sv,
                                         "ui_mode"sv};
constexpr std::array line_item_params = {
    "adjustable_quantity"sv, "dynamic_tax_rates"sv, "price"sv,
    "price_data"sv,          "quantity"sv,          "tax_rates"sv};
constexpr std::array price_data_params = {
    "currency"sv,     "product"sv,     "product_data"sv,       "recurring"sv,
    "tax_behavior"sv, "unit_amount"sv, "unit_amount_decimal"sv};
constexpr std::array product_data_params = {"description"sv, "images"sv, "metadata"sv, "name"sv,
                                            "tax_code"sv};
constexpr std::array recurring_params = {"interval"sv, "interval_count"sv};
constexpr std::array subscription_data_params = {"application_fee_percent"sv,
                                                 "billing_cycle_anchor"sv,
                                                 "default_tax_rates"sv,
                                                 "description"sv,
                                                 "invoice_settings"sv,
                                                 "metadata"sv,
                                                 "on_behalf_of"sv,
                                                 "proration_behavior"sv,
                                                 "transfer_data"sv,
                                                 "trial_end"sv,
                                                 "trial_period_days"sv,
                                                 "trial_settings"sv};
constexpr std::array payment_intent_data_params = {"application_fee_amount"sv,
                                                   "capture_method"sv,
                                                   "description"sv,
                                                   "metadata"sv,
                                                   "on_behalf_of"sv,
                                                   "receipt_email"sv,
                                                   "setup_future_usage"sv,
                                                   "shipping"sv,
                                                   "statement_descriptor"sv,
                                                   "statement_descriptor_suffix"sv,
                                                   "transfer_data"sv,
                                                   "transfer_group"sv};

// The currencies Stripe accepts for charges.
constexpr std::array supported_currencies = {
    "usd"sv, "aed"sv, "afn"sv, "all"sv, "amd"sv, "ang"sv, "aoa"sv, "ars"sv, "aud"sv, "awg"sv,
    "azn"sv, "bam"sv, "bbd"sv, "bdt"sv, "bgn"sv, "bhd"sv, "bif"sv, "bmd"sv, "bnd"sv, "bob"sv,
    "brl"sv, "bsd"sv, "bwp"sv, "byn"sv, "bzd"sv, "cad"sv, "cdf"sv, "chf"sv, "clp"sv, "cny"sv,
    "cop"sv, "crc"sv, "cve"sv, "czk"sv, "djf"sv, "dkk"sv, "dop"sv, "dzd"sv, "egp"sv, "etb"sv,
    "eur"sv, "fjd"sv, "fkp"sv, "gbp"sv, "gel"sv, "gip"sv, "gmd"sv, "gnf"sv, "gtq"sv, "gyd"sv,
    "hkd"sv, "hnl"sv, "htg"sv, "huf"sv, "idr"sv, "ils"sv, "inr"sv, "isk"sv, "jmd"sv, "jod"sv,
    "jpy"sv, "kes"sv, "kgs"sv, "khr"sv, "kmf"sv, "krw"sv, "kwd"sv, "kyd"sv, "kzt"sv, "lak"sv,
    "lbp"sv, "lkr"sv, "lrd"sv, "lsl"sv, "mad"sv, "mdl"sv, "mga"sv, "mkd"sv, "mmk"sv, "mnt"sv,
    "mop"sv, "mur"sv, "mvr"sv, "mwk"sv, "mxn"sv, "myr"sv, "mzn"sv, "nad"sv, "ngn"sv, "nio"sv,
    "nok"sv, "npr"sv, "nzd"sv, "omr"sv, "pab"sv, "pen"sv, "pgk"sv, "php"sv, "pkr"sv, "pln"sv,
    "pyg"sv, "qar"sv, "ron"sv, "rsd"sv, "rub"sv, "rwf"sv, "sar"sv, "sbd"sv, "scr"sv, "sek"sv,
    "sgd"sv, "shp"sv, "sle"sv, "sos"sv, "srd"sv, "std"sv, "szl"sv, "thb"sv, "tjs"sv, "tnd"sv,
    "top"sv, "try"sv, "ttd"sv, "twd"sv, "tzs"sv, "uah"sv, "ugx"sv, "uyu"sv, "uzs"sv, "vnd"sv,
    "vuv"sv, "wst"sv, "xaf"sv, "xcd"sv, "xof"sv, "xpf"sv, "yer"sv, "zar"sv, "zmw"sv};

constexpr std::array zero_decimal_currencies = {
    "bif"sv, "clp"sv, "djf"sv, "gnf"sv, "jpy"sv, "kmf"sv, "krw"sv, "mga"sv,
    "pyg"sv, "rwf"sv, "ugx"sv, "vnd"sv, "vuv"sv, "xaf"sv, "xof"sv, "xpf"sv};
constexpr std::array three_decimal_currencies = {"bhd"sv, "jod"sv, "kwd"sv, "omr"sv, "tnd"sv};

// Stripe's minimum charge amounts, in minor units.
struct minimum_charge {
  std::string_view currency;
  std::int64_t amount;
  std::string_view symbol;
};
constexpr std::array minimum_charges = {
    minimum_charge{"usd", 50, "$"},   minimum_charge{"aed", 200, ""},
    minimum_charge{"aud", 50, "A$"},  minimum_charge{"bgn", 100, ""},
    minimum_charge{"brl", 50, "R$"},  minimum_charge{"cad", 50, "CA$"},
    minimum_charge{"chf", 50, ""},    minimum_charge{"czk", 1500, ""},
    minimum_charge{"dkk", 250, ""},   minimum_charge{"eur", 50, "€"},
    minimum_charge{"gbp", 30, "£"},   minimum_charge{"hkd", 400, "HK$"},
    minimum_charge{"huf", 17500, ""}, minimum_charge{"inr", 50, "₹"},
    minimum_charge{"jpy", 50, "¥"},   minimum_charge{"mxn", 1000, "MX$"},
    minimum_charge{"myr", 200, ""},   minimum_charge{"nok", 300, ""},
    minimum_charge{"nzd", 50, "NZ$"}, minimum_charge{"pln", 200, ""},
    minimum_charge{"ron", 200, ""},   minimum_charge{"sek", 300, ""},
    minimum_charge{"sgd", 50, ""},    minimum_charge{"thb", 1000, ""}};

constexpr std::int64_t max_unit_amount = 99'999'999;

bool is_index(std::string_view s) {
  return !s.empty() && s.size() <= 6 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

// The bracketed key of the first `n` segments: {"a","b","c"}, 2 → "a[b]".
std::string key_of(const std::vector<std::string>& segments, std::size_t n) {
  std::string key = segments[0];
  for (std::size_t i = 1; i < n && i < segments.size(); ++i) {
    key += "[" + segments[i] + "]";
  }
  return key;
}

bool is_metadata_value(const std::vector<std::string>& segments) {
  return segments.size() >= 2 && segments[segments.size() - 2] == "metadata";
}

// Unknown names, and scalars where Stripe expects an object or array.
std::optional<stripe_error> check_shape(const std::vector<std::string>& s) {
  const auto& top = s[0];
  if (!one_of(top, top_level_params)) {
    return parameter_unknown(top);
  }
  auto invalid_object = [&s](std::size_t n) {
    return invalid_request("Invalid object", key_of(s, n));
  };
  if (top == "metadata") {
    if (s.size() != 2) {
      return invalid_object(1);
    }
  } else if (top == "line_items") {
    if (s.size() < 3) {
      return invalid_request("Invalid array", "line_items");
    }
    if (!is_index(s[1])) {
      return invalid_request("Invalid array", "line_items");
    }
    if (!one_of(s[2], line_item_params)) {
      return parameter_unknown(key_of(s, 3));
    }
    if (s[2] == "price_data") {
      if (s.size() < 4) {
        return invalid_object(3);
      }
      if (!one_of(s[3], price_data_params)) {
        return parameter_unknown(key_of(s, 4));
      }
      if (s[3] == "product_data" || s[3] == "recurring") {
        if (s.size() < 5) {
          return invalid_object(4);
        }
        bool known = s[3] == "product_data" ? one_of(s[4], product_data_params)
                                            : one_of(s[4], recurring_params);
        if (!known) {
          return parameter_unknown(key_of(s, 5));
        }
      }
    }
  } else if (top == "subscription_data" || top == "payment_intent_data") {
    if (s.size() < 2) {
      return invalid_object(1);
    }
    bool known = top == "subscription_data" ? one_of(s[1], subscription_data_params)
                                            : one_of(s[1], payment_intent_data_params);
    if (!known) {
      return parameter_unknown(key_of(s, 2));
    }
    if (s[1] == "metadata" && s.size() != 3) {
      return invalid_object(2);
    }
  }
  return std::nullopt;
}

std::optional<stripe_error> check_metadata(const metadata_map& metadata, std::string_view param) {
  if (metadata.size() > 50) {
    return invalid_request("Invalid " + std::string(param) + ": metadata can have at most 50 keys.",
                           std::string(param));
  }
  for (const auto& [key, value] : metadata) {
    if (key.size() > 40) {
      return invalid_request(
          "Invalid " + std::string(param) + ": keys must be at most 40 characters long.",
          std::string(param) + "[" + key + "]");
    }
    if (value.size() > 500) {
      return invalid_request(
          "Invalid " + std::string(param) + ": values must be at most 500 characters long.",
          std::string(param) + "[" + key + "]");
    }
  }
  return std::nullopt;
}

// Metadata as given, without the keys set to "" (which unset a key, here: leave it out).
metadata_map metadata_under(const form_params& params, std::string_view prefix) {
  metadata_map out;
  for (auto& [key, value] : params.children(prefix)) {
    if (!value.empty()) {
      out.emplace(key, value);
    }
  }
  return out;
}

bool is_email(std::string_view email) {
  auto at = email.find('@');
  if (at == 0 || at == std::string_view::npos || email.find('@', at + 1) != email.npos) {
    return false;
  }
  auto domain = email.substr(at + 1);
  auto dot = domain.rfind('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
         std::none_of(email.begin(), email.end(),
                      [](char c) { return c == ' ' || c == ',' || c == '<' || c == '>'; });
}

// The indices used under `prefix` (`line_items` → 0, 1, …); nullopt unless 0..n-1.
std::optional<std::size_t> count_indices(const form_params& params, std::string_view prefix) {
  std::set<std::size_t> seen;
  std::string start = std::string(prefix) + "[";
  for (const auto& [key, value] : params.flat()) {
    if (!key.starts_with(start)) {
      continue;
    }
    auto close = key.find(']', start.size());
    seen.insert(std::stoul(key.substr(start.size(), close - start.size())));
  }
  std::size_t expected = 0;
  for (auto index : seen) {
    if (index != expected++) {
      return std::nullopt;
    }
  }
  return seen.size();
}

std::optional<stripe_error> parse_line_item(const form_params& params, std::size_t i,
                                            line_item_spec& item) {
  auto prefix = "line_items[" + std::to_string(i) + "]";
  auto pd = prefix + "[price_data]";
  bool has_price = params.contains(prefix + "[price]");
  bool has_price_data = params.has_under(pd);
  if (has_price && has_price_data) {
    return invalid_request("You may only specify one of these parameters: price, price_data.",
                           prefix + "[price]", "parameters_exclusive");
  }
  if (has_price) {
    return resource_missing("price", *params.find(prefix + "[price]"), prefix + "[price]");
  }
  if (!has_price_data) {
    return parameter_missing(pd);
  }

  auto currency = params.find(pd + "[currency]");
  if (!currency) {
    return parameter_missing(pd + "[currency]");
  }
  item.price.currency = lower(*currency);
  if (!is_supported_currency(item.price.currency)) {
    return unsupported_currency(*currency, pd + "[currency]");
  }

  if (auto e = parse_price_amount(params, pd, item.price)) {
    return e;
  }

  auto product = params.find(pd + "[product]");
  bool has_product_data = params.has_under(pd + "[product_data]");
  if (product && has_product_data) {
    return invalid_request("You may only specify one of these parameters: product, product_data.",
                           pd + "[product]", "parameters_exclusive");
  }
  if (product) {
    item.price.product = *product;
  } else if (!has_product_data) {
    return parameter_missing(pd + "[product_data]");
  } else {
    auto name = params.find(pd + "[product_data][name]");
    if (!name) {
      return parameter_missing(pd + "[product_data][name]");
    }
    item.price.product_name = *name;
    if (auto e = check_metadata(metadata_under(params, pd + "[product_data][metadata]"),
                                pd + "[product_data][metadata]")) {
      return e;
    }
  }

  if (params.has_under(pd + "[recurring]")) {
    if (auto e = parse_price_recurring(params, pd, item.price)) {
      return e;
    }
  }

  auto quantity = params.find(prefix + "[quantity]");
  if (!quantity) {
    return parameter_missing(prefix + "[quantity]");
  }
  auto q = parse_stripe_integer(*quantity);
  if (!q) {
    return parameter_invalid_integer(prefix + "[quantity]", *quantity);
  }
  if (*q < 1 || *q > 999'999) {
    return invalid_request("Quantity must be between 1 and 999999.", prefix + "[quantity]",
                           "parameter_invalid_integer");
  }
  item.quantity = *q;
  return std::nullopt;
}

std::string minimum_text(std::int64_t amount, std::string_view currency) {
  std::string_view symbol;
  for (const auto& m : minimum_charges) {
    if (m.currency == currency) {
      symbol = m.symbol;
    }
  }
  std::string major = format_amount(amount, currency);
  major = major.substr(0, major.find(' '));
  return std::string(symbol) + major + " " + std::string(currency);
}

const std::string* optional_param(const form_params& p, const char* key) {
  return p.find(key);
}

}  // namespace

std::optional<std::int64_t> parse_stripe_integer(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  auto digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

bool is_supported_currency(std::string_view currency) {
  return one_of(currency, supported_currencies);
}

stripe_error unsupported_currency(std::string_view given, std::string param) {
  std::string list;
  for (auto c : supported_currencies) {
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  return invalid_request("Invalid currency: " + std::string(given) +
                             ". Stripe currently supports these currencies: " + list,
                         std::move(param));
}

bool is_http_url(std::string_view url) {
  auto rest = url.starts_with("https://")  ? url.substr(8)
              : url.starts_with("http://") ? url.substr(7)
                                           : std::string_view{};
  return !rest.empty() && rest[0] != '/' &&
         std::none_of(url.begin(), url.end(), [](char c) { return c == ' '; });
}

std::optional<stripe_error> parse_price_amount(const form_params& params, const std::string& pd,
                                               price_spec& price) {
  auto unit_amount = params.find(pd + "[unit_amount]");
  auto unit_amount_decimal = params.find(pd + "[unit_amount_decimal]");
  if (unit_amount && unit_amount_decimal) {
    return invalid_request(
        "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
        pd + "[unit_amount]", "parameters_exclusive");
  }
  if (!unit_amount && !unit_amount_decimal) {
    return parameter_missing(pd + "[unit_amount]");
  }
  std::string amount_param = pd + (unit_amount ? "[unit_amount]" : "[unit_amount_decimal]");
  std::string amount_text = unit_amount ? *unit_amount : *unit_amount_decimal;
  if (unit_amount_decimal && amount_text.ends_with(".0")) {
    amount_text.resize(amount_text.size() - 2);
  }
  auto amount = parse_stripe_integer(amount_text);
  if (!amount) {
    if (unit_amount_decimal) {
      return invalid_request("fake-stripe takes only whole numbers in unit_amount_decimal.",
                             amount_param, "parameter_invalid_decimal");
    }
    return parameter_invalid_integer(amount_param, amount_text);
  }
  if (*amount < 0) {
    return invalid_request("This value must be greater than or equal to 0.", amount_param,
                           "parameter_invalid_integer");
  }
  if (*amount > max_unit_amount) {
    return invalid_request("This value must be less than or equal to 99999999.", amount_param,
                           "parameter_invalid_integer");
  }
  price.unit_amount = *amount;
  return std::nullopt;
}

std::optional<stripe_error> parse_price_recurring(const form_params& params, const std::string& pd,
                                                  price_spec& price) {
  auto recurring = pd + "[recurring]";
  auto interval = params.find(recurring + "[interval]");
  if (!interval) {
    return parameter_missing(recurring + "[interval]");
  }
  if (!one_of(std::string_view(*interval), std::array{"day"sv, "week"sv, "month"sv, "year"sv})) {
    return invalid_enum(recurring + "[interval]", "day, month, week, or year");
  }
  price.interval = *interval;
  if (auto count_text = params.find(recurring + "[interval_count]")) {
    auto count = parse_stripe_integer(*count_text);
    if (!count) {
      return parameter_invalid_integer(recurring + "[interval_count]", *count_text);
    }
    std::int64_t max = *interval == "day"     ? 365
                       : *interval == "week"  ? 52
                       : *interval == "month" ? 12
                                              : 1;
    if (*count < 1 || *count > max) {
      return invalid_request(
          "The maximum billing interval is one year (1 year, 12 months, 52 weeks or 365 days).",
          recurring + "[interval_count]");
    }
    price.interval_count = *count;
  }
  return std::nullopt;
}

int currency_exponent(std::string_view currency) {
  if (one_of(currency, zero_decimal_currencies)) {
    return 0;
  }
  if (one_of(currency, three_decimal_currencies)) {
    return 3;
  }
  return 2;
}

std::string format_amount(std::int64_t minor_units, std::string_view currency) {
  int exponent = currency_exponent(currency);
  auto width = static_cast<std::size_t>(exponent);
  std::string digits = std::to_string(minor_units < 0 ? -minor_units : minor_units);
  if (exponent > 0) {
    if (digits.size() <= width) {
      digits = std::string(width + 1 - digits.size(), '0') + digits;
    }
    auto whole = digits.size() - width;
    digits = digits.substr(0, whole) + "." + digits.substr(whole);
  }
  std::string upper(currency);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return (minor_units < 0 ? "-" : "") + digits + " " + upper;
}

checkout_result parse_checkout_request(const form_params& params, std::int64_t now) {
  // Names first: Stripe refuses a request with an unknown parameter whatever else it holds,
  // and refuses empty strings for parameters that cannot be unset.
  for (const auto& [key, value] : params.flat()) {
    auto segments = split_key(key);
    if (!segments) {
      return invalid_request("Invalid request: malformed parameter name " + key);
    }
    if (auto e = check_shape(*segments)) {
      return *e;
    }
    if (value.empty() && !is_metadata_value(*segments)) {
      return parameter_invalid_empty(key);
    }
  }

  checkout_request req;
  auto mode = params.find("mode");
  if (!mode) {
    return parameter_missing("mode");
  }
  if (!one_of(std::string_view(*mode), std::array{"payment"sv, "setup"sv, "subscription"sv})) {
    return invalid_enum("mode", "payment, setup, or subscription");
  }
  req.mode = *mode;

  if (auto ui_mode = params.find("ui_mode"); ui_mode && *ui_mode != "hosted") {
    if (*ui_mode == "embedded") {
      return invalid_request("fake-stripe serves only ui_mode=hosted Checkout Sessions.",
                             "ui_mode");
    }
    return invalid_enum("ui_mode", "embedded, or hosted");
  }

  auto count = count_indices(params, "line_items");
  if (!count) {
    return invalid_request("Invalid array", "line_items");
  }
  if (req.mode == "setup") {
    if (*count > 0) {
      return invalid_request("You cannot pass `line_items` in `setup` mode.", "line_items");
    }
    auto currency = params.find("currency");
    if (!currency && !params.has_under("payment_method_types")) {
      return parameter_missing("currency");
    }
    if (currency) {
      req.currency = lower(*currency);
    }
  } else if (*count == 0) {
    return parameter_missing("line_items");
  }
  for (std::size_t i = 0; i < *count; ++i) {
    line_item_spec item;
    if (auto e = parse_line_item(params, i, item)) {
      return *e;
    }
    req.line_items.push_back(std::move(item));
  }

  bool any_recurring = false;
  for (const auto& item : req.line_items) {
    if (req.currency && *req.currency != item.price.currency) {
      return invalid_request("All prices on a Checkout Session must use the same currency; found " +
                                 *req.currency + " and " + item.price.currency + ".",
                             "line_items");
    }
    req.currency = item.price.currency;
    req.amount_total += item.price.unit_amount * item.quantity;
    if (item.price.interval) {
      if (any_recurring) {
        for (const auto& other : req.line_items) {
          if (other.price.interval && (*other.price.interval != *item.price.interval ||
                                       other.price.interval_count != item.price.interval_count)) {
            return invalid_request(
                "Checkout does not support multiple prices with different billing intervals.",
                "line_items");
          }
        }
      }
      any_recurring = true;
    }
  }
  if (req.mode == "subscription" && !any_recurring) {
    return invalid_request(
        "You must provide at least one recurring price in `subscription` mode when using prices.",
        "line_items");
  }
  if (req.mode == "payment" && any_recurring) {
    return invalid_request(
        "You specified `payment` mode but passed a recurring price. Either switch to "
        "`subscription` mode or use only one-time prices.",
        "line_items");
  }
  if (req.mode != "setup") {
    for (const auto& m : minimum_charges) {
      if (m.currency == *req.currency && req.amount_total < m.amount &&
          !(req.mode == "subscription" && req.amount_total == 0)) {
        return invalid_request("The Checkout Session's total amount due must add up to at least " +
                                   minimum_text(m.amount, m.currency),
                               std::nullopt, "amount_too_small");
      }
    }
    if (req.amount_total > max_unit_amount) {
      return invalid_request("The Checkout Session's total amount due must be no more than " +
                                 minimum_text(max_unit_amount, *req.currency),
                             std::nullopt, "amount_too_large");
    }
  }

  auto success_url = params.find("success_url");
  if (!success_url) {
    return parameter_missing("success_url");
  }
  if (!is_http_url(*success_url)) {
    return invalid_request("Not a valid URL", "success_url", "url_invalid");
  }
  req.success_url = *success_url;
  if (auto cancel_url = params.find("cancel_url")) {
    if (!is_http_url(*cancel_url)) {
      return invalid_request("Not a valid URL", "cancel_url", "url_invalid");
    }
    req.cancel_url = *cancel_url;
  }

  if (auto submit_type = params.find("submit_type")) {
    if (req.mode != "payment") {
      return invalid_request(
          "`submit_type` can only be specified on Checkout Sessions in `payment` mode, but this "
          "Checkout Session is in `" +
              req.mode + "` mode.",
          "submit_type");
    }
    if (!one_of(std::string_view(*submit_type),
                std::array{"auto"sv, "book"sv, "donate"sv, "pay"sv})) {
      return invalid_enum("submit_type", "auto, book, donate, or pay");
    }
    req.submit_type = *submit_type;
  }
  if (params.has_under("subscription_data") && req.mode != "subscription") {
    return invalid_request("You can not pass `subscription_data` in `" + req.mode + "` mode.",
                           "subscription_data");
  }
  if (params.has_under("payment_intent_data") && req.mode != "payment") {
    return invalid_request("You can not pass `payment_intent_data` in `" + req.mode + "` mode.",
                           "payment_intent_data");
  }

  auto customer = optional_param(params, "customer");
  auto email = optional_param(params, "customer_email");
  if (customer && email) {
    return invalid_request(
        "You may only specify one of these parameters: customer, customer_email.", "customer",
        "parameters_exclusive");
  }
  if (customer) {
    req.customer = *customer;
  }
  if (email) {
    if (!is_email(*email)) {
      return invalid_request("Invalid email address: " + *email, "customer_email", "email_invalid");
    }
    req.customer_email = *email;
  }
  if (auto id = params.find("client_reference_id")) {
    if (id->size() > 200) {
      return invalid_request(
          "Invalid string: client_reference_id must be at most 200 characters long.",
          "client_reference_id", "string_too_long");
    }
    req.client_reference_id = *id;
  }
  if (auto text = params.find("expires_at")) {
    auto at = parse_stripe_integer(*text);
    if (!at) {
      return parameter_invalid_integer("expires_at", *text);
    }
    if (*at < now + 1'800 || *at > now + 86'400) {
      return invalid_request(
          "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout "
          "Session creation.",
          "expires_at");
    }
    req.expires_at = *at;
  }
  if (auto v = params.find("locale")) {
    req.locale = *v;
  }
  if (auto v = params.find("billing_address_collection")) {
    if (*v != "auto" && *v != "required") {
      return invalid_enum("billing_address_collection", "auto, or required");
    }
    req.billing_address_collection = *v;
  }
  for (const auto& [index, type] : params.children("payment_method_types")) {
    req.payment_method_types.push_back(type);
  }
  if (auto v = params.find("payment_method_configuration")) {
    // Checkout takes an explicit list of types or a configuration to draw them from.
    if (!req.payment_method_types.empty()) {
      return invalid_request(
          "You cannot pass both payment_method_types and payment_method_configuration.",
          "payment_method_configuration");
    }
    req.payment_method_configuration = *v;
  }
  if (req.payment_method_types.empty()) {
    // The account's (or the named) configuration decides; the stand-in's offers cards.
    req.payment_method_types.push_back("card");
  }

  req.metadata = metadata_under(params, "metadata");
  req.subscription_metadata = metadata_under(params, "subscription_data[metadata]");
  req.payment_intent_metadata = metadata_under(params, "payment_intent_data[metadata]");
  if (auto v = params.find("subscription_data[description]")) {
    req.subscription_description = *v;
  }
  if (auto v = params.find("payment_intent_data[description]")) {
    req.payment_intent_description = *v;
  }
  for (auto [map, name] :
       {std::pair{&req.metadata, "metadata"},
        std::pair{&req.subscription_metadata, "subscription_data[metadata]"},
        std::pair{&req.payment_intent_metadata, "payment_intent_data[metadata]"}}) {
    if (auto e = check_metadata(*map, name)) {
      return *e;
    }
  }
  return req;
}

}  // namespace fake_stripe

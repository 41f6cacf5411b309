// Money as integers in minor units, with each currency's exponent. Never a float.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supportd::common {

struct currency {
  std::string_view code;  // ISO 4217, upper case
  int exponent;           // minor-unit digits: JPY 0, USD 2, KWD 3
  // The smallest charge the payment provider (Stripe) takes, in minor units.
  std::int64_t provider_minimum_minor;
};

// The currencies supportd takes pledges in; nullopt for any other code (case-sensitive).
std::optional<currency> find_currency(std::string_view code);

enum class amount_error { empty, malformed, too_many_decimals, too_large };

struct parsed_amount {
  std::optional<std::int64_t> minor;
  amount_error error = amount_error::empty;
};

// "5", "5.5", "5.00" in major units -> minor units. Digits and one '.', nothing else: no sign,
// no spaces, no thousands separators, no exponent. Decimals beyond the currency's exponent are
// allowed only as zeros ("500.00" JPY is 500).
parsed_amount parse_major_amount(std::string_view text, const currency& c);

// 1234 USD -> "12.34"; 500 JPY -> "500"; 1500 KWD -> "1.500".
std::string format_major_amount(std::int64_t minor, const currency& c);

// 10^exponent: minor units in one major unit.
std::int64_t minor_per_major(const currency& c);

}  // namespace supportd::common

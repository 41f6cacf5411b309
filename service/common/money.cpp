#include "common/money.hpp"

#include <array>

namespace supportd::common {
namespace {

// Exponents as Stripe uses them; minimums are Stripe's minimum charge amounts.
constexpr std::array currencies = {
    currency{"AUD", 2, 50},    currency{"BRL", 2, 50},   currency{"CAD", 2, 50},
    currency{"CHF", 2, 50},    currency{"CZK", 2, 1500}, currency{"DKK", 2, 250},
    currency{"EUR", 2, 50},    currency{"GBP", 2, 30},   currency{"HKD", 2, 400},
    currency{"HUF", 2, 17500}, currency{"INR", 2, 50},   currency{"JPY", 0, 50},
    currency{"KRW", 0, 1000},  currency{"KWD", 3, 500},  currency{"MXN", 2, 1000},
    currency{"NOK", 2, 300},   currency{"NZD", 2, 50},   currency{"PLN", 2, 200},
    currency{"SEK", 2, 300},   currency{"SGD", 2, 50},   currency{"USD", 2, 50},
    currency{"BHD", 3, 500},   currency{"JOD", 3, 500},  currency{"OMR", 3, 500},
    currency{"ZAR", 2, 1000},
};

// Far above any maximum pledge and far below int64 overflow.
constexpr std::int64_t largest_minor = 1'000'000'000'000'000LL;

}  // namespace

std::optional<currency> find_currency(std::string_view code) {
  for (const auto& c : currencies) {
    if (c.code == code) {
      return c;
    }
  }
  return std::nullopt;
}

std::int64_t minor_per_major(const currency& c) {
  std::int64_t scale = 1;
  for (int i = 0; i < c.exponent; ++i) {
    scale *= 10;
  }
  return scale;
}

parsed_amount parse_major_amount(std::string_view text, const currency& c) {
  if (text.empty()) {
    return {std::nullopt, amount_error::empty};
  }
  auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  auto digits_only = [](std::string_view s) {
    for (char ch : s) {
      if (ch < '0' || ch > '9') {
        return false;
      }
    }
    return true;
  };
  if (whole.empty() || !digits_only(whole) || !digits_only(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return {std::nullopt, amount_error::malformed};
  }
  for (std::size_t i = static_cast<std::size_t>(c.exponent); i < fraction.size(); ++i) {
    if (fraction[i] != '0') {
      return {std::nullopt, amount_error::too_many_decimals};
    }
  }
  const auto scale = minor_per_major(c);
  std::int64_t minor = 0;
  for (char ch : whole) {
    minor = minor * 10 + (ch - '0');
    if (minor > largest_minor / scale) {
      return {std::nullopt, amount_error::too_large};
    }
  }
  minor *= scale;
  std::int64_t place = scale;
  for (std::size_t i = 0; i < fraction.size() && i < static_cast<std::size_t>(c.exponent); ++i) {
    place /= 10;
    minor += (fraction[i] - '0') * place;
  }
  return {minor, amount_error::empty};
}

std::string format_major_amount(std::int64_t minor, const currency& c) {
  const auto scale = minor_per_major(c);
  std::string out = std::to_string(minor / scale);
  if (c.exponent > 0) {
    std::string fraction = std::to_string(minor % scale);
    out += '.';
    out.append(static_cast<std::size_t>(c.exponent) - fraction.size(), '0');
    out += fraction;
  }
  return out;
}

}  // namespace supportd::common

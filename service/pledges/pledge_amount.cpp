#include "pledges/pledge_amount.hpp"

namespace supportd::pledges {

std::optional<std::int64_t> validate_amount(const amount_fields& f,
                                            const std::optional<currency>& money,
                                            const std::optional<interval>& every,
                                            const pledge_limits& limits,
                                            std::vector<http::field_error>& errors) {
  std::optional<std::int64_t> minor;
  if (f.amount_minor && !f.amount.empty()) {
    errors.push_back({"amount", "invalid", "Give amount or amount_minor, not both."});
    return std::nullopt;
  }
  if (f.amount_minor) {
    if (*f.amount_minor <= 0) {
      errors.push_back({"amount_minor", "too_small", "amount_minor must be positive."});
      return std::nullopt;
    }
    minor = f.amount_minor;
  } else if (f.amount.empty()) {
    errors.push_back({"amount", "required", "amount is required."});
    return std::nullopt;
  } else if (money) {
    auto parsed = parse_major_amount(f.amount, *money);
    if (parsed.minor) {
      minor = parsed.minor;
    } else if (parsed.error == common::amount_error::too_many_decimals) {
      errors.push_back({"amount", "invalid",
                        std::string(money->code) + " takes at most " +
                            std::to_string(money->exponent) + " decimal places."});
    } else if (parsed.error == common::amount_error::too_large) {
      errors.push_back({"amount", "too_large", "The amount is too large."});
    } else {
      errors.push_back({"amount", "invalid", "amount must be a number such as 5 or 5.00."});
    }
  }
  if (!minor || !money || !every) {
    return std::nullopt;
  }
  auto range = limits.range(*money, *every);
  const std::string field = f.amount_minor ? "amount_minor" : "amount";
  if (*minor < range.min_minor) {
    errors.push_back({field, "too_small",
                      "The smallest " + std::string(to_string(*every)) + " amount is " +
                          format_major_amount(range.min_minor, *money) + " " +
                          std::string(money->code) + "."});
    return std::nullopt;
  }
  if (*minor > range.max_minor) {
    errors.push_back({field, "too_large",
                      "The largest " + std::string(to_string(*every)) + " amount is " +
                          format_major_amount(range.max_minor, *money) + " " +
                          std::string(money->code) + "."});
    return std::nullopt;
  }
  return minor;
}

}  // namespace supportd::pledges

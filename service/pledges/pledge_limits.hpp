// How little and how much a pledge may be, per currency and interval.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/money.hpp"
#include "pledges/pledge.hpp"

namespace supportd::pledges {

struct amount_range {
  std::int64_t min_minor;
  std::int64_t max_minor;
};

class pledge_limits {
 public:
  // Defaults: at least 2 major units monthly and yearly (the "$2"), 1 once; at most 10,000.
  pledge_limits() = default;

  // Entries "CURRENCY:INTERVAL:MIN:MAX" in major units, comma-separated; `*` matches any
  // currency or interval, and later entries override earlier ones. E.g.
  // "*:month:2:800,GBP:month:2:166". nullopt with `error` set when malformed.
  static std::optional<pledge_limits> parse(std::string_view spec, std::string& error);

  // The accepted range, never below the provider's own minimum charge.
  amount_range range(const currency& c, interval i) const;

 private:
  struct rule {
    std::string currency;           // "*" for any
    std::optional<interval> which;  // nullopt for any
    std::string min_major;
    std::string max_major;
  };
  std::vector<rule> rules_;
};

}  // namespace supportd::pledges

#include "pledges/pledge_limits.hpp"

#include <algorithm>

namespace supportd::pledges {
namespace {

std::vector<std::string_view> split(std::string_view text, char by) {
  std::vector<std::string_view> parts;
  while (true) {
    auto at = text.find(by);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) {
      return parts;
    }
    text.remove_prefix(at + 1);
  }
}

std::int64_t to_minor(std::string_view major, const currency& c) {
  return parse_major_amount(major, c).minor.value_or(0);
}

}  // namespace

std::optional<pledge_limits> pledge_limits::parse(std::string_view spec, std::string& error) {
  pledge_limits limits;
  if (spec.empty()) {
    return limits;
  }
  // Any currency will do to check that amounts are well formed: KWD has the most decimals.
  const auto probe = *find_currency("KWD");
  for (auto entry : split(spec, ',')) {
    auto parts = split(entry, ':');
    if (parts.size() != 4) {
      error = "expected CURRENCY:INTERVAL:MIN:MAX, got \"" + std::string(entry) + "\"";
      return std::nullopt;
    }
    rule r{std::string(parts[0]), std::nullopt, std::string(parts[2]), std::string(parts[3])};
    if (r.currency != "*" && !find_currency(r.currency)) {
      error = "unsupported currency \"" + r.currency + "\"";
      return std::nullopt;
    }
    if (parts[1] != "*") {
      r.which = parse_interval(parts[1]);
      if (!r.which) {
        error = "interval must be once, month, year or *";
        return std::nullopt;
      }
    }
    auto min = parse_major_amount(r.min_major, probe).minor;
    auto max = parse_major_amount(r.max_major, probe).minor;
    if (!min || !max || *min > *max) {
      error = "bad amounts in \"" + std::string(entry) + "\"";
      return std::nullopt;
    }
    limits.rules_.push_back(std::move(r));
  }
  return limits;
}

amount_range pledge_limits::range(const currency& c, interval i) const {
  const auto unit = minor_per_major(c);
  amount_range result{i == interval::once ? unit : 2 * unit, 10'000 * unit};
  for (const auto& r : rules_) {
    if ((r.currency == "*" || r.currency == c.code) && (!r.which || *r.which == i)) {
      result = {to_minor(r.min_major, c), to_minor(r.max_major, c)};
    }
  }
  result.min_minor = std::max(result.min_minor, c.provider_minimum_minor);
  return result;
}

}  // namespace supportd::pledges

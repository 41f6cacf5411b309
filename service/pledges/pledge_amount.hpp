// A pledge's amount as a reader sends it, `amount` in major units ("7.50") or `amount_minor`,
// read and held to --pledge-limits for its currency and interval: the one rule for a new pledge
// (POST /v1/pledges) and for a new amount of a recurring one (POST /v1/pledges/{id}/amount), so
// the two refuse the same amounts with the same field errors. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http/problem.hpp"
#include "pledges/pledge.hpp"
#include "pledges/pledge_limits.hpp"

namespace supportd::pledges {

// The two ways of giving an amount, as received; absent ones empty.
struct amount_fields {
  std::string amount{};
  std::optional<std::int64_t> amount_minor{};
};

// The amount in minor units, or nullopt with what is wrong appended to `errors` (named after the
// field that was sent). Without a `money` (a currency the caller refuses on its own) only what
// needs none is checked; without an `every`, the limits are not.
std::optional<std::int64_t> validate_amount(const amount_fields& f,
                                            const std::optional<currency>& money,
                                            const std::optional<interval>& every,
                                            const pledge_limits& limits,
                                            std::vector<http::field_error>& errors);

}  // namespace supportd::pledges

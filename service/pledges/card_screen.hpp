// Card-number screening. supportd never takes card numbers (card entry stays on the provider's
// hosted page, keeping the site in PCI DSS SAQ A), so any value that looks like one is refused
// before it can reach a log or Redis.
#pragma once

#include <string_view>

#include "http/problem.hpp"

namespace supportd::pledges {

// True when `text` holds a run of 13 to 19 digits (single spaces or dashes between them
// allowed, as people type card numbers) that passes the Luhn check.
bool looks_like_card_number(std::string_view text);

bool passes_luhn(std::string_view digits);

// The error for a request that carried one (the value itself is never repeated).
http::field_error card_number_error();

}  // namespace supportd::pledges

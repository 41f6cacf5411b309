// Card-number screening. supportd never takes card numbers (card entry stays on the provider's
// hosted page, keeping the site in PCI DSS SAQ A), so any value that looks like one is refused
// before it can reach a log or Redis.
#pragma once

#include <string_view>

namespace boost::json {
class value;
}

namespace supportd::common {

// True when `text` holds a run of 13 to 19 digits that passes the Luhn check. The digits may be
// split by spaces, dots or dashes, one or several (people type "4111 1111 1111 1111",
// "4111.1111.1111.1111", "4111 - 1111 - ..." and pasted numbers keep their padding).
bool looks_like_card_number(std::string_view text);

// True when any string or number anywhere in a JSON body (members of nested objects and arrays
// too) looks like a card number. `parsed` is `json_text` parsed. Numbers are read from the text
// as sent, by their integer digits: 4111111111111111, 4111111111111111.0 and
// 4.111111111111111e15 all count (Boost.JSON's double conversion may round the last digit).
bool holds_card_number(std::string_view json_text, const boost::json::value& parsed);

bool passes_luhn(std::string_view digits);

}  // namespace supportd::common

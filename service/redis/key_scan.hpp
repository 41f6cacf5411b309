// Walking the key space by pattern (SCAN … MATCH), for rare work such as erasure and
// reconciliation: never on a request's hot path.
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"

namespace supportd::redis {

class connection;

// `text` with *, ?, [, ] and \ escaped, so that as a pattern it matches only itself.
std::string glob_escaped(std::string_view text);

struct scan_page {
  std::string cursor;             // where the next step starts; "0" when the walk is over
  std::vector<std::string> keys;  // may repeat keys of earlier pages, as SCAN does
};

// One SCAN step from `cursor` over keys matching `pattern`, about `count` keys examined.
awaitable<boost::system::result<scan_page>> scan_step(connection& redis, std::string_view cursor,
                                                      std::string_view pattern,
                                                      std::string_view count);

}  // namespace supportd::redis

// service/limits/scripts/count_request.lua alone against a real redis-server.
#include <gtest/gtest.h>

#include "limits/scripts.hpp"
#include "support/script_table.hpp"

namespace supportd::limits {
namespace {

using RateLimiterScripts = test::script_test;

TEST_F(RateLimiterScripts, CountRequest) {
  const std::string window = "rate:public-post:192.0.2.1:28333333";
  check(scripts::count_request,
        {
            {.name = "the window's first request: 1, the key expiring with the window",
             .keys = {window},
             .args = {"61000"},
             .reply = "1",
             .after = {{window, "1 ttl=61s"}}},
            {.name = "later requests count on; the expiry stays the first one's",
             .given = {{"SET", window, "4", "PX", "30000"}},
             .keys = {window},
             .args = {"61000"},
             .reply = "5",
             .after = {{window, "5 ttl=30s"}}},
        });
}

}  // namespace
}  // namespace supportd::limits

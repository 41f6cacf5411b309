#include "limits/rate_limiter.hpp"

#include <chrono>

#include "core/clock.hpp"
#include "redis/connection.hpp"

namespace supportd::limits {
namespace {

// A fixed window: INCR, and the key expires with its window. The key holds the client address
// no longer than the window.
const redis::script count_script(R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
)lua");

}  // namespace

awaitable<boost::system::result<rate_decision>> rate_limiter::hit(std::string_view scope,
                                                                  std::string_view who) {
  if (limit_ == 0) {
    co_return rate_decision{};
  }
  auto now = core::now_unix_ms();
  auto window = now / window_ms_;
  auto left_ms = window_ms_ - now % window_ms_;
  std::string key(prefix_);
  key += "rate:";
  key += scope;
  key += ':';
  key += who;
  key += ':';
  key += std::to_string(window);
  auto ttl = std::to_string(left_ms + 1000);
  std::string_view keys[] = {key};
  std::string_view args[] = {ttl};
  auto reply = co_await redis_.run(count_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  auto count = redis::as_integer(*reply);
  if (!count) {
    co_return count.error();
  }
  if (*count > static_cast<std::int64_t>(limit_)) {
    co_return rate_decision{false, static_cast<int>((left_ms + 999) / 1000)};
  }
  co_return rate_decision{};
}

}  // namespace supportd::limits

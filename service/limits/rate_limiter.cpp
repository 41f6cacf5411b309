#include "limits/rate_limiter.hpp"

#include <chrono>

#include "core/clock.hpp"
#include "limits/scripts.hpp"
#include "redis/connection.hpp"

namespace supportd::limits {
namespace {

// A fixed window counted in Redis: limits/scripts/count_request.lua, embedded by the build
// (cmake/embed_lua.cmake).
const redis::script count_script{std::string(scripts::count_request)};

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

#include "bench/seeding.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "redis/connection.hpp"
#include "redis/redis_settings.hpp"

namespace supportd::bench {
namespace {

// Writes in flight at once: enough to keep Redis's pipeline full.
constexpr long writers = 256;

awaitable<void> write_range(seeder& s, long first, long count, long& remaining, bool& failed) {
  for (long i = first; i < first + count; ++i) {
    const bool written = co_await s.write(i);
    if (!written) {
      failed = true;
    }
  }
  remaining -= count;
}

}  // namespace

int seed(std::string_view redis_url, long count, seeder& s) {
  std::string why;
  auto endpoint = redis::parse_redis_url(redis_url, why);
  if (!endpoint) {
    std::fprintf(stderr, "bad Redis URL: %s\n", why.c_str());
    return 2;
  }
  net::io_context io;
  redis::connection conn(io, {.endpoint = *endpoint, .command_timeout = std::chrono::seconds(30)},
                         nullptr);
  conn.start();
  while (!conn.ready()) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  s.connected(conn);
  auto start = std::chrono::steady_clock::now();
  long remaining = count;
  bool failed = false;
  const long per_writer = (count + writers - 1) / writers;
  for (long first = 0; first < count; first += per_writer) {
    net::co_spawn(io, write_range(s, first, std::min(per_writer, count - first), remaining, failed),
                  net::detached);
  }
  while (remaining > 0) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  conn.close();
  std::printf("seeded %ld in %.1f s%s\n", count, took.count(), failed ? " (some failed)" : "");
  return failed ? 1 : 0;
}

}  // namespace supportd::bench

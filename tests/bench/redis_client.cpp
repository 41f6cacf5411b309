// The Redis client's own cost: one connection on one thread keeps `in_flight` commands
// pipelined until `commands` have been answered, and prints the wall time and this process's
// CPU time per command. tests/bench/redis_client_run runs it over TCP and TLS against one
// redis-server, beside redis-benchmark (hiredis) doing the same commands.
//
//   redis_client URL [CA_FILE] [COMMANDS] [IN_FLIGHT]
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "metrics/registry.hpp"
#include "redis/client_metrics.hpp"
#include "redis/connection.hpp"
#include "redis/link.hpp"
#include "redis/redis_settings.hpp"

using namespace supportd;

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// One of `in_flight` lanes: SET then GET of its own key, until the shared budget is spent.
awaitable<void> lane(redis::connection& c, int id, long& left, long& failed, int& running) {
  const std::string key = "bench:" + std::to_string(id);
  while (left > 0) {
    left -= 2;
    std::string_view set[] = {"SET", key, "a-value-of-some-thirty-two-bytes"};
    std::string_view get[] = {"GET", key};
    auto a = co_await c.command(set);
    auto b = co_await c.command(get);
    failed += !a + !b;
  }
  --running;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: redis_client URL [CA_FILE] [COMMANDS] [IN_FLIGHT]\n");
    return 2;
  }
  std::string why;
  auto endpoint = redis::parse_redis_url(argv[1], why);
  if (!endpoint) {
    std::fprintf(stderr, "redis_client: %s\n", why.c_str());
    return 2;
  }
  const std::string ca = argc > 2 ? argv[2] : "";
  const long commands = argc > 3 ? std::stol(argv[3]) : 400'000;
  const int in_flight = argc > 4 ? std::stoi(argv[4]) : 32;

  net::io_context io;
  metrics::registry registry;
  auto stats = redis::client_metrics::create(registry);
  redis::connection::options options{.endpoint = *endpoint};
  if (endpoint->tls) {
    options.tls = redis::make_redis_tls_context({.ca_file = ca});
  }
  redis::connection c(io, options, &stats);
  c.start();
  while (!c.ready()) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  long left = commands;
  long failed = 0;
  int running = in_flight;
  const auto started = std::chrono::steady_clock::now();
  const double cpu_before = cpu_seconds();
  for (int i = 0; i < in_flight; ++i) {
    net::co_spawn(io, lane(c, i, left, failed, running), net::detached);
  }
  while (running > 0) {
    io.run_one();
  }
  const double cpu = cpu_seconds() - cpu_before;
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  const long done = commands - left;
  // commands per second, µs of this process's CPU per command, failed commands
  std::printf("%.0f %.3f %ld\n", static_cast<double>(done) / wall.count(),
              cpu * 1e6 / static_cast<double>(done), failed);
  c.close();
  return failed == 0 ? 0 : 1;
}

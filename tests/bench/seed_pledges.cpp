// seed_pledges: fills Redis with active recurring pledges exactly as pledge_store writes them
// (the same hash, history list and stats hashes), far faster than checkouts and webhooks would,
// for the benchmark of the /metrics scrape (tests/bench/scrape).
//
//   seed_pledges REDIS_URL COUNT [PREFIX]
//
// Pledges are monthly (every fifth yearly), in USD, EUR and GBP, of varying amounts. Prints
// `seeded COUNT in SECONDS s` when done. A benchmark tool, not a test.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "config/redis_url.hpp"
#include "pledges/pledge_store.hpp"
#include "redis/connection.hpp"

namespace {

using namespace supportd;

// Pledges in flight at once: enough to keep Redis's pipeline full.
constexpr long writers = 256;

pledges::pledge_record make_pledge(long i) {
  static constexpr const char* currencies[] = {"USD", "EUR", "GBP"};
  pledges::pledge_record p;
  p.id = "pl_seed" + std::to_string(i);
  p.status = pledges::pledge_state::active;
  p.every = i % 5 == 0 ? pledges::interval::year : pledges::interval::month;
  p.amount_minor = (p.every == pledges::interval::year ? 6000 : 500) + 100 * (i % 20);
  p.currency = currencies[i % 3];
  p.payment_method = "card";
  p.source = {"winter26", "banner", "https://news.example/world/2027/jan/05/an-article", "", "GB"};
  p.locale = "en-GB";
  p.created_at_ms = p.updated_at_ms = pledges::now_unix_ms();
  p.checkout_session_id = "cs_test_seed" + std::to_string(i);
  p.checkout_url = "https://checkout.stripe.com/c/pay/" + p.checkout_session_id;
  p.manage_token_sha256 = std::string(64, 'a');
  return p;
}

awaitable<void> write_range(pledges::pledge_store& store, long first, long count, long& remaining,
                            bool& failed) {
  for (long i = first; i < first + count; ++i) {
    auto created = co_await store.create(make_pledge(i), "", 201, "");
    if (!created || !*created) {
      failed = true;
    }
  }
  remaining -= count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: seed_pledges REDIS_URL COUNT [PREFIX]\n");
    return 2;
  }
  std::string why;
  auto endpoint = config::parse_redis_url(argv[1], why);
  if (!endpoint) {
    std::fprintf(stderr, "bad Redis URL: %s\n", why.c_str());
    return 2;
  }
  const long count = std::stol(argv[2]);
  const std::string prefix = argc > 3 ? argv[3] : "supportd:";

  net::io_context io;
  redis::connection conn(io, {.endpoint = *endpoint, .command_timeout = std::chrono::seconds(30)},
                         nullptr);
  conn.start();
  while (!conn.ready()) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  pledges::pledge_store store(conn, prefix);
  auto start = std::chrono::steady_clock::now();
  long remaining = count;
  bool failed = false;
  const long per_writer = (count + writers - 1) / writers;
  for (long first = 0; first < count; first += per_writer) {
    net::co_spawn(io,
                  write_range(store, first, std::min(per_writer, count - first), remaining, failed),
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

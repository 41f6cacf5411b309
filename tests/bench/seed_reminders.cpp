// seed_reminders: fills Redis with reminders exactly as sign-ups store them (reminder_book, so
// the same ids, sealed addresses and sorted sets), far faster than HTTP sign-ups would, for the
// benchmark of draining a large backlog.
//
//   seed_reminders REDIS_URL DATA_KEY_FILE COUNT DUE_UNIX [PREFIX]
//
// Prints `seeded COUNT in SECONDS s` when done. A benchmark tool, not a test.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "config/redis_url.hpp"
#include "redis/connection.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_store.hpp"
#include "security/data_keys.hpp"

namespace {

using namespace supportd;

// Sign-ups in flight at once: enough to keep Redis's pipeline full.
constexpr int writers = 256;

awaitable<void> write_range(reminders::reminder_book& book, long first, long count, long due_unix,
                            long& remaining, bool& failed) {
  for (long i = first; i < first + count; ++i) {
    reminders::valid_reminder r;
    r.email = "reader" + std::to_string(i) + "@example.org";
    r.campaign = "winter26";
    r.component = "banner";
    r.page_url = "https://news.example/world/2027/jan/05/an-article";
    r.locale = "en-GB";
    r.consent_version = "2026-11";
    r.due_unix = due_unix;
    r.time_zone = "UTC";
    if (!co_await book.sign_up(r, due_unix - 60)) {
      failed = true;
    }
  }
  remaining -= count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: seed_reminders REDIS_URL DATA_KEY_FILE COUNT DUE_UNIX [PREFIX]\n");
    return 2;
  }
  std::string why;
  auto endpoint = config::parse_redis_url(argv[1], why);
  std::ifstream key_file(argv[2]);
  std::stringstream key_text;
  key_text << key_file.rdbuf();
  auto keys = security::data_keys::parse(key_text.str());
  if (!endpoint || !std::holds_alternative<security::data_keys>(keys)) {
    std::fprintf(stderr, "bad Redis URL or key file\n");
    return 2;
  }
  const long count = std::stol(argv[3]);
  const long due_unix = std::stol(argv[4]);
  const std::string prefix = argc > 5 ? argv[5] : "supportd:";

  net::io_context io;
  redis::connection conn(io, {.endpoint = *endpoint, .command_timeout = std::chrono::seconds(30)},
                         nullptr);
  conn.start();
  while (!conn.ready()) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  reminders::reminder_store store(conn, prefix);
  reminders::reminder_book book(store, std::get<security::data_keys>(keys),
                                "seed-link-secret-not-used-for-anything", std::chrono::hours(1));
  auto start = std::chrono::steady_clock::now();
  long remaining = count;
  bool failed = false;
  const long per_writer = (count + writers - 1) / writers;
  for (long first = 0; first < count; first += per_writer) {
    net::co_spawn(
        io,
        write_range(book, first, std::min(per_writer, count - first), due_unix, remaining, failed),
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

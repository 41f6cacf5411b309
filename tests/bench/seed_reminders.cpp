// seed_reminders: fills Redis with reminders exactly as sign-ups store them (reminder_book, so
// the same ids, sealed addresses and sorted sets), far faster than HTTP sign-ups would, for the
// benchmark of draining a large backlog.
//
//   seed_reminders REDIS_URL DATA_KEY_FILE COUNT DUE_UNIX [PREFIX]
//
// Prints `seeded COUNT in SECONDS s` when done. A benchmark tool, not a test.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bench/seeding.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_store.hpp"
#include "security/data_keys.hpp"

namespace {

using namespace supportd;

class reminder_seeder final : public bench::seeder {
 public:
  reminder_seeder(security::data_keys keys, long due_unix, std::string prefix)
      : keys_(std::move(keys)), due_unix_(due_unix), prefix_(std::move(prefix)) {}
  void connected(redis::connection& redis) override {
    store_ = std::make_unique<reminders::reminder_store>(redis, prefix_);
    book_ = std::make_unique<reminders::reminder_book>(
        *store_, keys_, "seed-link-secret-not-used-for-anything", std::chrono::hours(1));
  }
  awaitable<bool> write(long i) override {
    reminders::valid_reminder r;
    r.email = "reader" + std::to_string(i) + "@example.org";
    r.campaign = "winter26";
    r.component = "banner";
    r.page_url = "https://news.example/world/2027/jan/05/an-article";
    r.locale = "en-GB";
    r.consent_version = "2026-11";
    r.due_unix = due_unix_;
    r.time_zone = "UTC";
    auto done = co_await book_->sign_up(r, due_unix_ - 60);
    co_return static_cast<bool>(done);
  }

 private:
  security::data_keys keys_;
  long due_unix_;
  std::string prefix_;
  std::unique_ptr<reminders::reminder_store> store_;
  std::unique_ptr<reminders::reminder_book> book_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: seed_reminders REDIS_URL DATA_KEY_FILE COUNT DUE_UNIX [PREFIX]\n");
    return 2;
  }
  std::ifstream key_file(argv[2]);
  std::stringstream key_text;
  key_text << key_file.rdbuf();
  auto keys = security::data_keys::parse(key_text.str());
  if (!std::holds_alternative<security::data_keys>(keys)) {
    std::fprintf(stderr, "bad key file: %s\n", std::get<std::string>(keys).c_str());
    return 2;
  }
  reminder_seeder seeder(std::move(std::get<security::data_keys>(keys)), std::stol(argv[4]),
                         argc > 5 ? argv[5] : "supportd:");
  return bench::seed(argv[1], std::stol(argv[3]), seeder);
}

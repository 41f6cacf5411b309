// seed_pledges: fills Redis with active recurring pledges exactly as pledge_store writes them
// (the same hash, history list and stats hashes), far faster than checkouts and webhooks would,
// for the benchmark of the /metrics scrape (tests/bench/scrape).
//
//   seed_pledges REDIS_URL COUNT [PREFIX]
//
// Pledges are monthly (every fifth yearly), in USD, EUR and GBP, of varying amounts. Prints
// `seeded COUNT in SECONDS s` when done. A benchmark tool, not a test.
#include <cstdio>
#include <memory>
#include <string>

#include "bench/seeding.hpp"
#include "core/clock.hpp"
#include "pledges/pledge_store.hpp"

namespace {

using namespace supportd;

pledges::pledge_record make_pledge(long i) {
  static constexpr const char* currencies[] = {"USD", "EUR", "GBP"};
  pledges::pledge_record p;
  p.id = "pl_seed" + std::to_string(i);
  p.status = pledges::pledge_state::active;
  p.every = i % 5 == 0 ? pledges::interval::year : pledges::interval::month;
  p.amount_minor = (p.every == pledges::interval::year ? 6000 : 500) + 100 * (i % 20);
  p.currency = currencies[i % 3];
  p.payment_method = "card";
  p.source = {"winter26", "banner", "", "https://news.example/world/2027/jan/05/an-article",
              "",         "GB"};
  p.locale = "en-GB";
  p.created_at_ms = p.updated_at_ms = core::now_unix_ms();
  p.checkout_session_id = "cs_test_seed" + std::to_string(i);
  p.checkout_url = "https://checkout.stripe.com/c/pay/" + p.checkout_session_id;
  p.manage_token_sha256 = std::string(64, 'a');
  return p;
}

class pledge_seeder final : public bench::seeder {
 public:
  explicit pledge_seeder(std::string prefix) : prefix_(std::move(prefix)) {}
  void connected(redis::connection& redis) override {
    store_ = std::make_unique<pledges::pledge_store>(redis, prefix_);
  }
  awaitable<bool> write(long i) override {
    auto created = co_await store_->create(make_pledge(i), "", 201, "");
    co_return created&&* created;
  }

 private:
  std::string prefix_;
  std::unique_ptr<pledges::pledge_store> store_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: seed_pledges REDIS_URL COUNT [PREFIX]\n");
    return 2;
  }
  pledge_seeder seeder(argc > 3 ? argv[3] : "supportd:");
  return bench::seed(argv[1], std::stol(argv[2]), seeder);
}

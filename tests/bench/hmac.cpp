// The cost of one HMAC-SHA256 (security::hmac_sha256) on one thread, in nanoseconds of the
// thread's CPU time (on a shared machine, wall time counts other processes' turns too): over a
// typical Stripe webhook's signed payload ("<timestamp>.<body>", 1 KiB, keyed with a whsec_
// secret) and over a short message (a token or id, as constant_time_equal and the one-click
// links sign). Prints the median of the rounds; each round runs `count` HMACs.
//
//   hmac_bench [COUNT] [ROUNDS]          200,000 HMACs, 7 rounds
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "security/secrets.hpp"

using namespace supportd;

namespace {

double thread_cpu_ns() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

double median_ns_per_hmac(const std::string& key, const std::string& message, long count,
                          int rounds) {
  std::vector<double> results;
  std::size_t sink = 0;  // so the compiler cannot drop the work
  for (int round = 0; round < rounds; ++round) {
    auto start = thread_cpu_ns();
    for (long i = 0; i < count; ++i) {
      sink += static_cast<unsigned char>(security::hmac_sha256(key, message)[0]);
    }
    results.push_back((thread_cpu_ns() - start) / static_cast<double>(count));
  }
  std::sort(results.begin(), results.end());
  if (sink == 1) {
    std::puts("");
  }
  return results[results.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 200'000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;

  const std::string secret = "whsec_" + std::string(32, 'k');
  std::string payload = "1767268800.";
  payload += R"({"id":"evt_1","object":"event","type":"checkout.session.completed","data":{)";
  payload.resize(1024, 'x');
  const std::string token = "rem_0123456789abcdef";

  std::printf("hmac_sha256, 1 KiB Stripe payload: %.0f ns\n",
              median_ns_per_hmac(secret, payload, count, rounds));
  std::printf("hmac_sha256, 20-byte message:      %.0f ns\n",
              median_ns_per_hmac(secret, token, count, rounds));
}

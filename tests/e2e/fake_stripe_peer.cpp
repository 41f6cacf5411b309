#include "e2e/fake_stripe_peer.hpp"

#include <chrono>
#include <optional>
#include <regex>
#include <stdexcept>
#include <vector>

namespace supportd::test {
namespace {

std::string listening_line(child_process& stripe) {
  auto line = stripe.wait_for_line(
      [](const std::string& l) { return l.find(R"("msg":"listening")") != std::string::npos; },
      std::chrono::seconds(10));
  if (!line) {
    std::string all;
    for (const auto& l : stripe.lines()) {
      all += l + "\n";
    }
    throw std::runtime_error("fake-stripe did not start:\n" + all);
  }
  return *line;
}

}  // namespace

std::unique_ptr<child_process> start_fake_stripe(const std::filesystem::path& dir, int port,
                                                 int supportd_http_port,
                                                 const std::string& webhook_secret) {
  const auto local = [](int p) { return "127.0.0.1:" + std::to_string(p); };
  auto stripe = std::make_unique<child_process>(std::vector<std::string>{
      FAKE_STRIPE_BINARY, "--listen", local(port), "--tls-cert", (dir / "stripe-cert.pem").string(),
      "--tls-key", (dir / "stripe-key.pem").string(), "--secret-key", "sk_test_supportd",
      "--webhook-url", "http://" + local(supportd_http_port) + "/v1/webhooks/stripe",
      "--webhook-secret", webhook_secret, "--public-url", "https://" + local(port)});
  listening_line(*stripe);
  return stripe;
}

int listening_port(child_process& stripe) {
  auto line = listening_line(stripe);
  std::smatch m;
  std::regex_search(line, m, std::regex(R"re(127\.0\.0\.1:(\d+))re"));
  return std::stoi(m[1]);
}

}  // namespace supportd::test

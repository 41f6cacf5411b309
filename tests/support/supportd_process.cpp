#include "support/supportd_process.hpp"

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <thread>

#include "support/api_contract.hpp"
#include "support/raw_client.hpp"

namespace supportd::test {

void make_certificate(const std::filesystem::path& cert, const std::filesystem::path& key,
                      const std::string& common_name, const std::string& alt_names) {
  std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
      " -keyout '" +
      key.string() + "' -out '" + cert.string() + "' -subj '/CN=" + common_name +
      "' -addext 'subjectAltName=" + alt_names + "' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("openssl could not make a certificate");
  }
}

namespace {

// The port of the listener supportd logged for `scheme` and `purpose` ("public" or "ops").
int listening_port(child_process& process, const std::string& scheme,
                   const std::string& purpose = "public") {
  auto line = process.wait_for_line(
      [&](const std::string& l) {
        return l.find(R"("msg":"listening")") != std::string::npos &&
               l.find("\"scheme\":\"" + scheme + "\"") != std::string::npos &&
               l.find("\"listener\":\"" + purpose + "\"") != std::string::npos;
      },
      std::chrono::seconds(10));
  if (!line) {
    std::string output;
    for (const auto& l : process.lines()) {
      output += l + "\n";
    }
    throw std::runtime_error("supportd did not listen on " + scheme + " (" + purpose + "):\n" +
                             output);
  }
  std::smatch m;
  std::regex port_pattern(R"re(:(\d+)")re");
  std::string text = *line;
  std::string last;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), port_pattern);
       it != std::sregex_iterator(); ++it) {
    last = (*it)[1];
  }
  return std::stoi(last);
}

}  // namespace

supportd_process::supportd_process(const std::string& redis_url,
                                   std::vector<std::string> extra_args) {
  // The test will check what this supportd answers; the checker loads while it starts.
  prepare_api_contract();
  make_certificate(cert_file(), key_file(), "first");
  std::vector<std::string> argv = {SUPPORTD_BINARY,
                                   "--listen-https=127.0.0.1:0",
                                   "--listen-http=127.0.0.1:0",
                                   "--tls-cert=" + cert_file().string(),
                                   "--tls-key=" + key_file().string(),
                                   "--redis-url=" + redis_url,
                                   "--threads=2"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<child_process>(argv);
  https_port_ = listening_port(*process_, "https");
  http_port_ = listening_port(*process_, "http");
  const bool ops = std::any_of(extra_args.begin(), extra_args.end(),
                               [](const std::string& a) { return a.starts_with("--listen-ops="); });
  if (ops) {
    ops_port_ = listening_port(*process_, "http", "ops");
  }
}

bool supportd_process::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    // With an ops listener, /readyz is served there only.
    raw_client client(ops_port_ != 0 ? ops_port_ : http_port_, false);
    if (auto r = client.get("/readyz"); r && r->status == 200) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::vector<std::string> with_test_rate_limit(std::vector<std::string> args,
                                              const std::vector<std::string>& extra) {
  const bool set = std::any_of(extra.begin(), extra.end(), [](const std::string& e) {
    return e.starts_with("--rate-limit-per-minute");
  });
  if (!set) {
    args.push_back("--rate-limit-per-minute=0");
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace supportd::test

// supportd: reader donations and "remind me later" over HTTPS, with Redis as its store.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "app/feature_settings.hpp"
#include "app/server.hpp"
#include "config/settings.hpp"
#include "http/tls_context.hpp"
#include "log/logger.hpp"
#include "webhooks/stripe_event.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace supportd;

  // A write to a peer that is gone (a Redis socket reset under hiredis, stdout a pipe whose
  // reader exited) must fail that write with EPIPE, not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "SUPPORTD_", 9) == 0) {
      environment.emplace_back(*entry);
    }
  }
  auto startup = app::parse_startup_settings(argc, argv, environment);
  auto& parsed = startup.parsed;
  switch (parsed.outcome) {
    case config::parse_outcome::help:
      std::fputs(parsed.message.c_str(), stdout);
      return 0;
    case config::parse_outcome::version:
      std::printf("supportd %s\n", SUPPORTD_VERSION);
      return 0;
    case config::parse_outcome::print_stripe_events:
      for (auto type : webhooks::handled_types()) {
        std::printf("%.*s\n", static_cast<int>(type.size()), type.data());
      }
      return 0;
    case config::parse_outcome::print_routes:
      for (const auto& r : app::served_routes()) {
        std::printf("%.*s %.*s %.*s\n", static_cast<int>(r.table.size()), r.table.data(),
                    static_cast<int>(r.method.size()), r.method.data(),
                    static_cast<int>(r.pattern.size()), r.pattern.data());
      }
      return 0;
    case config::parse_outcome::invalid:
      std::fprintf(stderr, "supportd: %s\n", parsed.message.c_str());
      return 2;
    case config::parse_outcome::run:
      break;
  }
  auto& settings = parsed.values;
  log::set_level(settings.log_level);

  // The certificate is loaded before any port is bound, so a bad one is a bad setting.
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (settings.listen_https) {
    try {
      tls = http::make_server_tls_context(settings.tls_cert_file, settings.tls_key_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "supportd: %s\n", e.what());
      return 2;
    }
  }

  log::info("starting", {{"version", SUPPORTD_VERSION}, {"threads", settings.threads}});
  for (const auto& warning : parsed.warnings) {
    log::warn(warning);
  }
  std::unique_ptr<app::server> server;
  try {
    server = std::make_unique<app::server>(std::move(settings), std::move(startup.features),
                                           std::move(tls));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "supportd: %s\n", e.what());
    return 2;
  }
  return server->run();
}

#include "support/redis_sentinels.hpp"

#include <signal.h>

#include <fstream>
#include <stdexcept>

namespace supportd::test {

redis_sentinels::redis_sentinels(int primary_port, int count, int quorum, int down_after_ms) {
  for (int i = 0; i < count; ++i) {
    int port = free_port();
    auto config = dir_.path() / ("sentinel-" + std::to_string(port) + ".conf");
    std::ofstream(config) << "port " << port << "\n"
                          << "bind 127.0.0.1\n"
                          << "dir " << dir_.path().string() << "\n"
                          << "sentinel monitor " << master_name << " 127.0.0.1 " << primary_port
                          << " " << quorum << "\n"
                          << "sentinel down-after-milliseconds " << master_name << " "
                          << down_after_ms << "\n"
                          << "sentinel failover-timeout " << master_name << " 3000\n"
                          << "sentinel parallel-syncs " << master_name << " 1\n";
    auto process =
        std::make_unique<child_process>(std::vector<std::string>{"redis-sentinel", config});
    auto ready = process->wait_for_line(
        [](const std::string& line) { return line.find("+monitor") != std::string::npos; },
        std::chrono::seconds(10));
    if (!ready) {
      throw std::runtime_error("redis-sentinel did not start");
    }
    ports_.push_back(port);
    processes_.push_back(std::move(process));
  }
}

redis_sentinels::~redis_sentinels() {
  for (auto& p : processes_) {
    p->signal(SIGTERM);
    p->wait(std::chrono::seconds(5));
  }
}

std::string redis_sentinels::list() const {
  std::string text;
  for (int port : ports_) {
    text += (text.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
  }
  return text;
}

int redis_sentinels::primary_port() const {
  auto out = shell_output("redis-cli -p " + std::to_string(ports_.front()) +
                          " SENTINEL get-master-addr-by-name " + master_name);
  auto newline = out.find('\n');
  if (newline == std::string::npos) {
    return 0;
  }
  return std::atoi(out.c_str() + newline + 1);
}

}  // namespace supportd::test

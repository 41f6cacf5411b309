#include "support/redis_server.hpp"

#include <signal.h>

#include <stdexcept>

namespace supportd::test {

redis_server::redis_server() : port_(free_port()) {
  start();
}

redis_server::redis_server(std::vector<std::string> extra_args)
    : port_(free_port()), extra_args_(std::move(extra_args)) {
  start();
}

redis_server::~redis_server() {
  if (process_) {
    process_->signal(SIGCONT);
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(5));
  }
}

void redis_server::start() {
  std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir",
      dir_.path().string(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
      "--daemonize", "no",
      // As deploy/ runs it: reminder buckets are listpacks.
      "--hash-max-listpack-value", "128", "--hash-max-listpack-entries", "512"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<child_process>(argv);
  auto ready = process_->wait_for_line(
      [](const std::string& line) {
        return line.find("Ready to accept connections") != std::string::npos;
      },
      std::chrono::seconds(10));
  if (!ready) {
    throw std::runtime_error("redis-server did not start");
  }
}

std::vector<std::string> redis_server::cli(std::vector<std::string> arguments) const {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port_)};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  child_process command(argv);
  if (!command.wait(std::chrono::seconds(10))) {
    throw std::runtime_error("redis-cli did not finish");
  }
  return command.lines();
}

void redis_server::kill() {
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
}

void redis_server::restart() {
  start();
}

void redis_server::pause() {
  process_->signal(SIGSTOP);
}

void redis_server::resume() {
  process_->signal(SIGCONT);
}

}  // namespace supportd::test

#include "support/redis_server.hpp"

#include <signal.h>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <thread>

namespace supportd::test {

redis_server::redis_server() : port_(free_port()) {
  start();
}

redis_server::redis_server(std::vector<std::string> extra_args)
    : port_(free_port()), extra_args_(std::move(extra_args)) {
  start();
}

redis_server::redis_server(tls_files tls, std::vector<std::string> extra_args)
    : port_(free_port()),
      extra_args_(std::move(extra_args)),
      tls_(std::move(tls)),
      tls_port_(free_port()) {
  start();
}

redis_server::redis_server(int primary_port) : port_(free_port()), primary_port_(primary_port) {
  start();
}

namespace {

// Whether `server`'s INFO replication has a line for which `match` holds, within `timeout`.
bool replication_shows(const redis_server& server,
                       const std::function<bool(const std::string&)>& match,
                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    auto info = server.cli({"INFO", "replication"});
    if (std::any_of(info.begin(), info.end(), match)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

}  // namespace

std::unique_ptr<redis_server> redis_server::replica_of(const redis_server& primary) {
  std::unique_ptr<redis_server> replica(new redis_server(primary.port()));
  const auto port = ",port=" + std::to_string(replica->port()) + ",state=online";
  // The primary counts a replica for WAIT once it is online there: after a diskless sync, when
  // the replica's first acknowledgement arrives, a little after the replica's side is up.
  if (!replica->wait_linked(std::chrono::seconds(10)) ||
      !replication_shows(
          primary,
          [&](const std::string& line) {
            return line.starts_with("slave") && line.find(port) != std::string::npos;
          },
          std::chrono::seconds(10))) {
    throw std::runtime_error("the replica did not sync with its primary");
  }
  return replica;
}

bool redis_server::wait_linked(std::chrono::milliseconds timeout) const {
  return replication_shows(
      *this, [](const std::string& line) { return line.starts_with("master_link_status:up"); },
      timeout);
}

redis_server::~redis_server() {
  if (process_) {
    process_->signal(SIGCONT);
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(5));
  }
}

std::vector<std::string> redis_server::arguments() const {
  std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir",
      dir_.path().string(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
      "--daemonize", "no",
      // As deploy/ runs it: reminder buckets are listpacks.
      "--hash-max-listpack-value", "128", "--hash-max-listpack-entries", "512",
      // A replica syncs at once rather than after the 5 s Redis waits for more replicas.
      "--repl-diskless-sync-delay", "0"};
  if (primary_port_ != 0) {
    argv.insert(argv.end(), {"--replicaof", "127.0.0.1", std::to_string(primary_port_)});
  }
  if (tls_) {
    argv.insert(argv.end(), {"--tls-port", std::to_string(tls_port_), "--tls-cert-file", tls_->cert,
                             "--tls-key-file", tls_->key, "--tls-ca-cert-file", tls_->ca,
                             "--tls-auth-clients", "no"});
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  return argv;
}

bool redis_server::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->wait_for_line(
            [](const std::string& line) {
              return line.find("Ready to accept connections") != std::string::npos;
            },
            std::chrono::milliseconds(50))) {
      return true;
    }
    if (!process_->running()) {
      process_->wait(std::chrono::seconds(1));  // its last lines read
      return false;
    }
  }
  return false;
}

void redis_server::start(bool may_move) {
  for (int attempt = 1;; ++attempt) {
    process_ = std::make_unique<child_process>(arguments());
    if (wait_ready()) {
      return;
    }
    const auto output = process_->lines();
    const bool port_taken = std::any_of(output.begin(), output.end(), [](const std::string& line) {
      return line.find("Address already in use") != std::string::npos;
    });
    if (!port_taken || !may_move || attempt == 5) {
      std::string why = "redis-server did not start:";
      for (const auto& line : output) {
        why += "\n  " + line;
      }
      throw std::runtime_error(why);
    }
    port_ = free_port();
    if (tls_) {
      tls_port_ = free_port();
    }
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
  start(/*may_move=*/false);  // its clients know its port
}

void redis_server::pause() {
  process_->signal(SIGSTOP);
}

void redis_server::resume() {
  process_->signal(SIGCONT);
}

}  // namespace supportd::test

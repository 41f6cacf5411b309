// A real redis-server for a test: its own free port and temp dir, AOF on, fsync always; or a
// replica of another one. Tests run in parallel, and a port free_port() found can be bound by
// another test's server first: a server that finds its port taken starts again on fresh ones.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::test {

class redis_server {
 public:
  redis_server();
  // With more redis-server arguments (TLS, ACL users, --replicaof …) after the usual ones.
  explicit redis_server(std::vector<std::string> extra_args);
  // TLS too, on a port of its own (tls_port()), with these PEM files; clients need no certificate.
  struct tls_files {
    std::string cert;
    std::string key;
    std::string ca;
  };
  redis_server(tls_files tls, std::vector<std::string> extra_args);
  ~redis_server();

  // A replica of `primary` (`--replicaof`), returned once its link to the primary is up and the
  // first sync is done (INFO replication: master_link_status:up).
  static std::unique_ptr<redis_server> replica_of(const redis_server& primary);

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  const temp_dir& dir() const { return dir_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

  // Runs redis-cli against this server with `arguments`, each passed as one argument (no shell),
  // and returns the lines it printed. Options such as --no-raw go before the command.
  std::vector<std::string> cli(std::vector<std::string> arguments) const;

  // SIGKILL, as a crash would.
  void kill();
  // Starts again on the same port and data dir, after kill().
  void restart();
  // SIGSTOP / SIGCONT: a Redis that hangs without closing its connections.
  void pause();
  void resume();

  // Waits until this replica's link to its primary is up; whether it came up within `timeout`.
  bool wait_linked(std::chrono::milliseconds timeout) const;

 private:
  explicit redis_server(int primary_port);
  // Starts the server; on fresh ports when `may_move` and its own are taken.
  void start(bool may_move = true);
  std::vector<std::string> arguments() const;
  // Whether the server said it is ready; false once it has exited without saying so, or after 10 s.
  bool wait_ready();

  temp_dir dir_;
  int port_;
  std::vector<std::string> extra_args_;
  std::optional<tls_files> tls_;
  int tls_port_ = 0;
  int primary_port_ = 0;  // a replica's primary; 0 for a primary
  std::unique_ptr<child_process> process_;
};

}  // namespace supportd::test

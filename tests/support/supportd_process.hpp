// The real supportd binary, started for an end-to-end test on free ports with a throwaway
// self-signed certificate.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::test {

// Makes a self-signed certificate and key with the given common name, for the names and
// addresses in `alt_names` (openssl's subjectAltName syntax: "IP:127.0.0.1,DNS:localhost").
void make_certificate(const std::filesystem::path& cert, const std::filesystem::path& key,
                      const std::string& common_name,
                      const std::string& alt_names = "IP:127.0.0.1");

// `args` then `extra`, with the per-address rate limit off unless `extra` sets one: a test sends
// far more requests from 127.0.0.1 than a reader would.
std::vector<std::string> with_test_rate_limit(std::vector<std::string> args,
                                              const std::vector<std::string>& extra);

class supportd_process {
 public:
  // Starts supportd with HTTPS and HTTP on free ports, Redis at `redis_url`, plus `extra_args`.
  supportd_process(const std::string& redis_url, std::vector<std::string> extra_args = {});

  int https_port() const { return https_port_; }
  int http_port() const { return http_port_; }
  // The ops listener's, when `extra_args` has --listen-ops=127.0.0.1:0; else 0.
  int ops_port() const { return ops_port_; }
  child_process& process() { return *process_; }
  const temp_dir& dir() const { return dir_; }
  std::filesystem::path cert_file() const { return dir_.path() / "cert.pem"; }
  std::filesystem::path key_file() const { return dir_.path() / "key.pem"; }

  // Waits until /readyz answers 200 (Redis connected), up to `timeout`.
  bool wait_ready(std::chrono::milliseconds timeout);

 private:
  temp_dir dir_;
  int https_port_ = 0;
  int http_port_ = 0;
  int ops_port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace supportd::test

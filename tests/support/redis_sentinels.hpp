// Real redis-sentinel processes watching a primary, for failover tests: each on its own free
// port with its own config file in a temp dir (a sentinel rewrites its file as it learns).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::test {

class redis_sentinels {
 public:
  static constexpr const char* master_name = "supportd-primary";

  // `count` sentinels with quorum `quorum` watching 127.0.0.1:`primary_port`; a primary is
  // declared down after `down_after_ms` without an answer.
  redis_sentinels(int primary_port, int count = 3, int quorum = 2, int down_after_ms = 500);
  ~redis_sentinels();

  // "127.0.0.1:p1,127.0.0.1:p2,…", as --redis-sentinels takes it.
  std::string list() const;
  const std::vector<int>& ports() const { return ports_; }
  // The primary's port as the first sentinel names it now.
  int primary_port() const;

 private:
  temp_dir dir_;
  std::vector<int> ports_;
  std::vector<std::unique_ptr<child_process>> processes_;
};

}  // namespace supportd::test

// A child process started for a test, with its standard output captured line by line.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace supportd::test {

class child_process {
 public:
  // `argv[0]` is the program's path. stdout and stderr are both captured.
  child_process(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for the process to exit; its exit status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();

  // The first output line (from the start) for which `match` is true, waiting up to `timeout`.
  std::optional<std::string> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout);
  std::vector<std::string> lines();

 private:
  void read_output(int fd);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::thread reader_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Runs `command` with /bin/sh and returns what it printed on standard output.
std::string shell_output(const std::string& command);

}  // namespace supportd::test

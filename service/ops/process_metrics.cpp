#include "ops/process_metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace supportd::ops {
namespace {

// A "Name:   value kB" line of /proc/self/status, in its unit.
double status_field(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(name + ":")) {
      return std::stod(line.substr(name.size() + 1));
    }
  }
  return 0;
}

double open_descriptors() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

void register_process_metrics(metrics::registry& registry) {
  registry.add_computed_gauge("process_resident_memory_bytes", "Resident memory of this process.",
                              [] { return status_field("VmRSS") * 1024; });
  registry.add_computed_gauge("process_open_fds", "Open file descriptors.", open_descriptors);
  registry.add_computed_gauge("process_max_fds", "The limit on open file descriptors.",
                              [] { return static_cast<double>(sysconf(_SC_OPEN_MAX)); });
  registry.add_computed_gauge("process_threads", "Threads of this process.",
                              [] { return status_field("Threads"); });
}

}  // namespace supportd::ops

#include "ops/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <string>

namespace supportd::ops {
namespace {

std::optional<proc_stat> read_own_stat() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) {
    return std::nullopt;
  }
  return parse_proc_stat(line);
}

double ticks_per_second() {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ticks;
}

// When the machine booted, in Unix seconds: the "btime" line of /proc/stat.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("btime ")) {
      return std::stod(line.substr(6));
    }
  }
  return 0;
}

// A "Name:   value" line of /proc/self/status.
double status_field(std::string_view name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
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

double descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 0;
  }
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view line) {
  auto close = line.rfind(')');
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  // After "pid (comm)" come fields 3 onwards, one space apart.
  std::uint64_t fields[25] = {};
  std::size_t field = 3;
  auto rest = line.substr(close + 1);
  std::size_t at = 0;
  while (field <= 24) {
    while (at < rest.size() && rest[at] == ' ') {
      ++at;
    }
    auto end = rest.find(' ', at);
    if (end == std::string_view::npos) {
      end = rest.size();
    }
    if (at >= end) {
      return std::nullopt;
    }
    auto token = rest.substr(at, end - at);
    if (field >= 14) {
      auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), fields[field]);
      if (ec != std::errc{} || p != token.data() + token.size()) {
        return std::nullopt;
      }
    }
    at = end;
    ++field;
  }
  return proc_stat{.user_ticks = fields[14],
                   .system_ticks = fields[15],
                   .start_ticks = fields[22],
                   .virtual_bytes = fields[23],
                   .resident_pages = fields[24]};
}

void register_process_metrics(metrics::registry& registry) {
  registry.add_computed_counter(
      "process_cpu_seconds_total", "User and system CPU time spent, in seconds.", [] {
        auto stat = read_own_stat();
        return stat
                   ? static_cast<double>(stat->user_ticks + stat->system_ticks) / ticks_per_second()
                   : 0.0;
      });
  registry.add_computed_gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                              [] {
                                auto stat = read_own_stat();
                                return stat ? static_cast<double>(stat->resident_pages) *
                                                  static_cast<double>(sysconf(_SC_PAGESIZE))
                                            : 0.0;
                              });
  registry.add_computed_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", [] {
    auto stat = read_own_stat();
    return stat ? static_cast<double>(stat->virtual_bytes) : 0.0;
  });
  registry.add_computed_gauge("process_open_fds", "Number of open file descriptors.",
                              open_descriptors);
  registry.add_computed_gauge("process_max_fds",
                              "Maximum number of open file descriptors (the soft limit).",
                              descriptor_limit);
  // Read once: it does not change while the process lives.
  auto stat = read_own_stat();
  const double started =
      stat ? boot_time_seconds() + static_cast<double>(stat->start_ticks) / ticks_per_second() : 0;
  registry.add_computed_gauge("process_start_time_seconds",
                              "Start time of the process since the Unix epoch, in seconds.",
                              [started] { return started; });
  registry.add_computed_gauge("process_threads", "Threads of this process.",
                              [] { return status_field("Threads"); });
}

}  // namespace supportd::ops

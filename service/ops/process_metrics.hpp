// The process's own metrics under the names every Prometheus client library uses
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from /proc at each scrape,
// so the standard dashboards and alerts work on supportd unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "metrics/registry.hpp"

namespace supportd::ops {

// The fields of /proc/<pid>/stat (proc(5)) the process metrics need, in the kernel's units.
struct proc_stat {
  std::uint64_t user_ticks = 0;      // utime, field 14
  std::uint64_t system_ticks = 0;    // stime, field 15
  std::uint64_t start_ticks = 0;     // starttime, field 22: since boot
  std::uint64_t virtual_bytes = 0;   // vsize, field 23
  std::uint64_t resident_pages = 0;  // rss, field 24
};

// Parses one /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself
// hold spaces and parentheses, so fields are counted from the last ')'.
std::optional<proc_stat> parse_proc_stat(std::string_view line);

void register_process_metrics(metrics::registry& registry);

}  // namespace supportd::ops

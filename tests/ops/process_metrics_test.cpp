#include "ops/process_metrics.hpp"

#include <gtest/gtest.h>

namespace supportd::ops {
namespace {

TEST(ProcStat, FieldsAreCountedFromTheLastParenthesis) {
  // A command name may hold spaces and parentheses (proc(5)).
  auto stat = parse_proc_stat(
      "4242 (sup (port) d) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 75 0 0 20 0 3 0 "
      "987654 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 17 1 0 0 0 0 0");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->user_ticks, 250u);
  EXPECT_EQ(stat->system_ticks, 75u);
  EXPECT_EQ(stat->start_ticks, 987654u);
  EXPECT_EQ(stat->virtual_bytes, 123456789u);
  EXPECT_EQ(stat->resident_pages, 2048u);
}

TEST(ProcStat, TruncatedOrGarbledLinesAreRefused) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("4242 (supportd) S 1 4242"));
  EXPECT_FALSE(parse_proc_stat(
      "4242 (supportd) S 1 4242 4242 0 -1 4194560 1200 0 0 0 x 75 0 0 20 0 3 0 1 2 3"));
}

TEST(ProcessMetrics, TheStandardNamesAreRegistered) {
  metrics::registry registry;
  register_process_metrics(registry);
  auto text = registry.render();
  for (auto name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                    "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                    "process_start_time_seconds"}) {
    EXPECT_NE(text.find(std::string("\n") + name + " "), std::string::npos) << name << "\n" << text;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

}  // namespace
}  // namespace supportd::ops

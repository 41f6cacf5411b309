#include "metrics/registry.hpp"

#include <gtest/gtest.h>

namespace supportd::metrics {
namespace {

TEST(Registry, FamiliesShowHelpAndTypeBeforeTheirFirstSample) {
  registry r;
  r.add_counter("x_total", "Things.", {"kind"});
  EXPECT_EQ(r.render(), "# HELP x_total Things.\n# TYPE x_total counter\n");
}

TEST(Registry, CountersAndGaugesWithEscapedLabels) {
  registry r;
  auto& c = r.add_counter("req_total", "Requests.", {"route", "status"});
  c.with({"/a", "200"}).inc();
  c.with({"/a", "200"}).inc(2);
  c.with({"q\"\\\n", "500"}).inc();
  r.add_gauge("open", "Open.").with({}).set(-3);
  EXPECT_EQ(r.render(),
            "# HELP req_total Requests.\n# TYPE req_total counter\n"
            "req_total{route=\"/a\",status=\"200\"} 3\n"
            "req_total{route=\"q\\\"\\\\\\n\",status=\"500\"} 1\n"
            "# HELP open Open.\n# TYPE open gauge\nopen -3\n");
}

TEST(Registry, HistogramBucketsAreCumulative) {
  registry r;
  static constexpr double bounds[] = {0.1, 1};
  auto& h = r.add_histogram("d_seconds", "Durations.", {}, bounds).with({});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(r.render(),
            "# HELP d_seconds Durations.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"0.1\"} 1\nd_seconds_bucket{le=\"1\"} 3\n"
            "d_seconds_bucket{le=\"+Inf\"} 4\nd_seconds_sum 8.05\nd_seconds_count 4\n");
}

TEST(Registry, ComputedGaugeIsEvaluatedAtScrape) {
  registry r;
  double value = 1;
  r.add_computed_gauge("up", "Up.", [&] { return value; });
  EXPECT_NE(r.render().find("up 1\n"), std::string::npos);
  value = 0;
  EXPECT_NE(r.render().find("up 0\n"), std::string::npos);
}

}  // namespace
}  // namespace supportd::metrics

#include "core/trace_context.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace supportd {
namespace {

// The example of https://www.w3.org/TR/trace-context/#examples-of-http-traceparent-headers.
constexpr auto sampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, AValidTraceparentIsContinuedUnderANewParentId) {
  auto t = trace_context::continue_or_start(sampled);
  EXPECT_EQ(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  auto child = t.child_traceparent();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(child, m,
                               std::regex("00-4bf92f3577b34da6a3ce929d0e0e4736-([0-9a-f]{16})-01")))
      << child;
  EXPECT_NE(m[1].str(), "00f067aa0ba902b7");
  // Each call made on the trace's behalf gets a parent id of its own.
  EXPECT_NE(t.child_traceparent(), child);
}

TEST(TraceContext, OnlyTheSampledFlagIsPassedOn) {
  auto t =
      trace_context::continue_or_start("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  EXPECT_TRUE(t.child_traceparent().ends_with("-00"));
  t = trace_context::continue_or_start("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
  EXPECT_TRUE(t.child_traceparent().ends_with("-01"));
}

TEST(TraceContext, InvalidValuesStartANewTrace) {
  for (const char* bad : {
           "",
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",    // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // 00 has four fields
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short trace id
       }) {
    auto t = trace_context::continue_or_start(bad);
    EXPECT_NE(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736") << bad;
    EXPECT_TRUE(std::regex_match(std::string(t.trace_id()), std::regex("[0-9a-f]{32}"))) << bad;
    EXPECT_NE(t.trace_id(), "00000000000000000000000000000000") << bad;
    EXPECT_TRUE(t.child_traceparent().ends_with("-00")) << bad;
  }
}

TEST(TraceContext, ALaterVersionIsReadByItsFirstFourFields) {
  auto t = trace_context::continue_or_start(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future");
  EXPECT_EQ(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TraceContext, NewTracesDiffer) {
  EXPECT_NE(trace_context::start().trace_id(), trace_context::start().trace_id());
}

}  // namespace
}  // namespace supportd

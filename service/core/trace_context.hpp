// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a request belongs to, taken
// from its `traceparent` header or started here, and passed on to the calls it causes.
//
//   traceparent: 00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>
//
// supportd records no spans of its own; it keeps the trace id in its request log lines and gives
// each outbound call a fresh parent id under the same trace, so a tracing backend (or grep) can
// follow a pledge from the site's front end through supportd to Stripe.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace supportd {

class trace_context {
 public:
  // The trace of a `traceparent` value, or a new trace when it is absent or invalid (unknown
  // version ff, not lower-case hex, an all-zero trace or parent id).
  static trace_context continue_or_start(std::string_view traceparent);
  static trace_context start();

  std::string_view trace_id() const { return {trace_id_.data(), trace_id_.size()}; }
  // A `traceparent` value for a call made on this trace's behalf: same trace id and flags, a new
  // parent id.
  std::string child_traceparent() const;

 private:
  std::array<char, 32> trace_id_{};
  std::array<char, 2> flags_{'0', '0'};
};

}  // namespace supportd

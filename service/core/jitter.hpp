// Randomness for waits: backoffs and periodic tasks spread out, so that replicas or workers
// started together do not retry or poll in step. Not for secrets (security/secrets.hpp).
#pragma once

#include <chrono>

namespace supportd::core {

// Uniform in [0, 1), from this thread's own generator.
double random_unit();

// `base` scaled by a uniform factor in [low, high]: (d, 0.5, 1.0) is "equal jitter" for a
// backoff, (d, 0.9, 1.1) spreads a period by ±10 %.
std::chrono::milliseconds jittered(std::chrono::milliseconds base, double low, double high);

}  // namespace supportd::core

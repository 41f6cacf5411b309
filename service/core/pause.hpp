// Waiting inside a coroutine without holding its thread: the one sleep every loop of supportd
// uses (polling a stream, backing off while Redis is down, spacing retries).
#pragma once

#include <chrono>

#include "core/net.hpp"

namespace supportd {

// Resumes the calling coroutine after `d`, on its own executor.
awaitable<void> pause(std::chrono::milliseconds d);

}  // namespace supportd

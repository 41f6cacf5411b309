// Polling for something a test waits on from outside a process (the real binary, Redis).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace supportd::test {

// Polls every 50 ms until `done` holds, up to `timeout`; whether it did.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace supportd::test

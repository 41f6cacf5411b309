// The open connections of one worker thread: shutdown closes the idle ones at once and lets busy
// ones finish their request, and a periodic sweep closes every connection whose current phase
// (handshake, waiting for a request, reading it, writing the answer) has passed its deadline.
// One sweep per worker replaces a timer per connection and per I/O operation.
// Not thread-safe: used on its worker's thread only.
#pragma once

#include <chrono>
#include <functional>
#include <list>

namespace supportd::http {

class connection_tracker {
 public:
  using clock = std::chrono::steady_clock;

  struct entry {
    // Waiting for the next request (nothing half-read).
    bool idle = false;
    // When close_expired() closes the connection; max() for never.
    clock::time_point deadline = clock::time_point::max();
    std::function<void()> close;
  };
  using handle = std::list<entry>::iterator;

  handle add(std::function<void()> close) {
    return entries_.insert(entries_.end(),
                           entry{false, clock::time_point::max(), std::move(close)});
  }
  void remove(handle h) { entries_.erase(h); }

  void close_idle() {
    for (auto& e : entries_) {
      if (e.idle) {
        e.close();
      }
    }
  }

  // Closing a socket completes its pending operation with an error; the session then ends.
  void close_expired(clock::time_point now) {
    for (auto& e : entries_) {
      if (e.deadline <= now) {
        e.close();
      }
    }
  }

 private:
  std::list<entry> entries_;
};

}  // namespace supportd::http

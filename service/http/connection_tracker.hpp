// The open connections of one worker thread, so shutdown can close the idle ones at once and
// let busy ones finish their request. Not thread-safe: used on its worker's thread only.
#pragma once

#include <functional>
#include <list>

namespace supportd::http {

class connection_tracker {
 public:
  struct entry {
    // Waiting for the next request (nothing half-read).
    bool idle = false;
    std::function<void()> close;
  };
  using handle = std::list<entry>::iterator;

  handle add(std::function<void()> close) {
    return entries_.insert(entries_.end(), {false, std::move(close)});
  }
  void remove(handle h) { entries_.erase(h); }

  void close_idle() {
    for (auto& e : entries_) {
      if (e.idle) {
        e.close();
      }
    }
  }

 private:
  std::list<entry> entries_;
};

}  // namespace supportd::http

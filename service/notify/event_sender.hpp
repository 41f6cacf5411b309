// Where signed events for the site's email service go (due reminders today): the seam between
// their producers and the network, so the producers' tests can stand in for the email service
// (webhook_sender.hpp is the real one).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/net.hpp"

namespace supportd::notify {

struct delivery {
  std::string webhook_id;
  std::int64_t timestamp = 0;  // unix seconds, signed with the body
  std::string body;
};

struct delivery_outcome {
  enum class kind {
    delivered,  // any 2xx
    failed,     // network error, timeout, 3xx, 4xx, 5xx: try again on the schedule
    gone,       // 410: the receiver wants no more; dead-lettered, not retried
  };
  kind what = kind::failed;
  int status = 0;  // the HTTP status, 0 when none came
  // The receiver's Retry-After, if it sent one.
  std::optional<std::chrono::seconds> retry_after;
  std::string error;  // for the dead letter: no personal data
};

class event_sender {
 public:
  virtual ~event_sender() = default;
  virtual awaitable<delivery_outcome> send(const delivery& d) = 0;
};

}  // namespace supportd::notify

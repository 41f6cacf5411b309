// The webhook a due reminder becomes: the JSON the site's email service receives (Standard
// Webhooks' {type, timestamp, data} envelope) and its webhook-id. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "supportd/v1/reminder.pb.h"

namespace supportd::reminders {

struct message_links {
  // Where the reader gives, carrying the reminder's attribution in its query.
  std::string give_url;
  // The signed one-click link (RFC 8058 List-Unsubscribe with List-Unsubscribe-Post).
  std::string unsubscribe_url;
};

// "rem_<id>_<occurrence>": the same for every attempt at one occurrence (so a receiver drops a
// redelivery), new for the next occurrence of a recurring reminder.
std::string webhook_id(std::string_view id, const v1::Reminder& r);

// The "give now" link of every reminder: the site's give URL with source=reminder, and each
// reminder's campaign and component, in its query. The base is parsed once.
class give_link {
 public:
  explicit give_link(std::string_view give_base);

  std::string operator()(const v1::Reminder& r) const;

 private:
  std::string base_;
  std::string head_;       // the base up to its fragment, with source=reminder in its query
  std::string fragment_;   // "#…", or empty
  bool verbatim_ = false;  // the base does not parse: it is used as it is
  bool reparse_ = false;   // the base names a campaign or component of its own
};

// `public_url`/v1/reminders/unsubscribe?id=…&token=…
std::string unsubscribe_url(std::string_view public_url, std::string_view id,
                            std::string_view token);

std::string message_body(std::string_view id, const v1::Reminder& r, std::string_view email,
                         const message_links& links, std::int64_t now_unix);

}  // namespace supportd::reminders

// What the report's admin route uses on one worker thread; app/ builds one per worker.
#pragma once

namespace supportd::config {
struct settings;
}
namespace supportd::redis {
class connection;
}

namespace supportd::reports {

struct report_context {
  const config::settings& settings;
  redis::connection& redis;
};

}  // namespace supportd::reports

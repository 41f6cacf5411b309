// Reads the report's day hashes (report_counter.hpp) into a report_table.
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <string_view>

#include "core/net.hpp"
#include "reports/report_query.hpp"
#include "reports/report_table.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::reports {

class report_store {
 public:
  report_store(redis::connection& redis, std::string_view prefix)
      : redis_(redis), prefix_(prefix) {}

  // Every day of `q`, added up by its `by`: one HGETALL a day (at most 400, each a few thousand
  // fields at most), one after the other, so Redis serves others in between.
  awaitable<boost::system::result<report_table>> read(const report_query& q);

 private:
  redis::connection& redis_;
  std::string_view prefix_;
};

}  // namespace supportd::reports

#include "reports/report_store.hpp"

#include <charconv>

#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "reports/report_counter.hpp"

namespace supportd::reports {

awaitable<boost::system::result<report_table>> report_store::read(const report_query& q) {
  report_table table(q.by);
  for (auto day = q.from_day; day <= q.to_day; ++day) {
    const auto key = day_key(prefix_, day);
    std::string_view get[] = {"HGETALL", key};
    auto reply = co_await redis_.command(get);
    if (!reply) {
      co_return reply.error();
    }
    auto flat = redis::as_string_array(*reply);
    if (!flat) {
      co_return flat.error();
    }
    for (std::size_t i = 0; i + 1 < flat->size(); i += 2) {
      const auto& text = (*flat)[i + 1];
      std::int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc{} || end != text.data() + text.size()) {
        co_return make_error_code(redis::errc::unexpected_reply);
      }
      table.add((*flat)[i], value);
    }
  }
  co_return table;
}

}  // namespace supportd::reports

#include "app/pledges_on_erasure.hpp"

#include "pledges/pledge_store.hpp"

namespace supportd::app {

decltype(reminders::reminder_context::erase_from_pledges) erase_from_pledges(
    redis::connection& redis, std::string_view prefix) {
  return [&redis,
          prefix](std::string_view reader_hash) -> awaitable<boost::system::result<std::int64_t>> {
    pledges::pledge_store store(redis, prefix);
    co_return co_await store.erase_reader(reader_hash);
  };
}

}  // namespace supportd::app

#include "app/reminders_on_payment.hpp"

#include "core/clock.hpp"
#include "log/logger.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_metrics.hpp"

namespace supportd::app {

webhooks::reader_gave cancel_reminders_when_paid(reminders::reminder_book* book,
                                                 reminders::reminder_metrics* metrics) {
  if (book == nullptr) {
    return {};
  }
  return
      [book, metrics](std::string_view reader_hash, std::string_view campaign) -> awaitable<bool> {
        auto cancelled =
            co_await book->cancel_for_paid_pledge(reader_hash, campaign, core::now_unix_seconds());
        if (!cancelled) {
          log::warn("reminders of a paying reader not cancelled",
                    {{"error", cancelled.error().message()}});
          co_return false;
        }
        if (*cancelled > 0 && metrics != nullptr) {
          metrics->stopped.with({"pledge"}).inc(static_cast<std::uint64_t>(*cancelled));
        }
        co_return true;
      };
}

}  // namespace supportd::app

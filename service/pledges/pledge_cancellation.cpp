#include "pledges/pledge_cancellation.hpp"

#include "log/logger.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_store.hpp"
#include "providers/checkout_provider.hpp"

namespace supportd::pledges {

awaitable<cancellation_outcome> pledge_cancellation::cancel(const pledge_record& pledge,
                                                            std::string_view by,
                                                            const trace_context& trace) {
  using kind = cancellation_outcome::kind;
  const bool stop_subscription =
      !pledge.subscription_id.empty() && pledge.status != pledge_state::canceled;
  const bool close_checkout = pledge.subscription_id.empty() &&
                              pledge.status == pledge_state::pending &&
                              !pledge.checkout_session_id.empty();
  if (stop_subscription || close_checkout) {
    if (provider_ == nullptr) {
      co_return cancellation_outcome{.what = kind::provider_off};
    }
    auto traceparent = trace.child_traceparent();
    bool stopped = false;
    if (stop_subscription) {
      // Noted first: the provider's word that the subscription ended may be applied before the
      // cancellation below, and must then still say who asked (pledge_store::note_cancel_asked).
      if (auto noted = co_await store_.note_cancel_asked(pledge.id, by); !noted) {
        co_return cancellation_outcome{.what = kind::store_unavailable};
      }
      auto subscription_id = pledge.subscription_id;
      auto ended = co_await provider_->cancel_subscription(std::move(subscription_id),
                                                           std::move(traceparent));
      stopped = static_cast<bool>(ended);
    } else {
      auto session_id = pledge.checkout_session_id;
      auto closed =
          co_await provider_->abandon_checkout(std::move(session_id), std::move(traceparent));
      stopped = static_cast<bool>(closed);
    }
    if (!stopped) {
      if (stop_subscription) {
        // Best effort: a note left behind only names them for cancel_asked_for.
        co_await store_.forget_cancel_asked(pledge.id);
      }
      co_return cancellation_outcome{.what = kind::provider_unavailable};
    }
  }
  auto applied =
      co_await store_.apply(pledge.id, pledge_event::cancel_requested, by, pledge.subscription_id);
  if (!applied) {
    co_return cancellation_outcome{.what = kind::store_unavailable};
  }
  if (applied->what == transition_result::outcome::applied) {
    stats_.transitions.with({to_string(applied->before), to_string(applied->after)}).inc();
    log::info("pledge canceled", {{"pledge_id", pledge.id}, {"by", by}});
  }
  co_return cancellation_outcome{.what = kind::done, .status = applied->after};
}

}  // namespace supportd::pledges

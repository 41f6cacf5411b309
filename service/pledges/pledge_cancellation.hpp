// Cancelling a pledge, the use case behind POST /v1/pledges/{id}/cancel once the caller is known
// to be its reader or an admin. Free of HTTP: the route maps the outcome to a response.
//
// The money is stopped first, then the cancellation recorded: a subscription the provider knows
// of is ended whatever our record says (its events may be late), and an unfinished checkout is
// closed so that it can no longer be paid. When the provider cannot stop it, nothing changes.
// Who asked is noted before the provider is asked, so that its word that the subscription ended,
// if applied first, is recorded as their cancellation too.
#pragma once

#include <string_view>

#include "core/net.hpp"
#include "core/trace_context.hpp"
#include "pledges/pledge_state.hpp"

namespace supportd::providers {
class checkout_provider;
}

namespace supportd::pledges {

class pledge_store;
struct pledge_metrics;
struct pledge_record;

struct cancellation_outcome {
  enum class kind {
    done,                  // `status` is the pledge's state now (canceled unless it had ended)
    provider_off,          // money must be stopped, but no provider is configured
    provider_unavailable,  // the provider did not stop the money: nothing was changed
    store_unavailable,     // Redis did not answer (asking again is safe)
  };
  kind what = kind::done;
  pledge_state status = pledge_state::pending;
};

// One per worker thread, over that worker's store and provider client.
class pledge_cancellation {
 public:
  // `provider` is null when none is configured.
  pledge_cancellation(pledge_store& store, providers::checkout_provider* provider,
                      pledge_metrics& stats)
      : store_(store), provider_(provider), stats_(stats) {}

  // Cancels `pledge`, as just read from the store, on behalf of `by` ("reader" or "admin",
  // recorded in its history).
  awaitable<cancellation_outcome> cancel(const pledge_record& pledge, std::string_view by,
                                         const trace_context& trace);

 private:
  pledge_store& store_;
  providers::checkout_provider* provider_;
  pledge_metrics& stats_;
};

}  // namespace supportd::pledges

// The reader's changes to a recurring pledge, the use cases behind POST /v1/pledges/{id}/amount,
// /pause, /resume and /payment-method once the caller is known to be its reader or an admin:
// a new amount from the next renewal on, a pause of one to three renewals, its end, and the
// provider's page for a new card. Free of HTTP: the routes map the outcomes to responses.
//
// Only a running subscription (a monthly or yearly pledge that is active or past_due) changes.
// The provider is asked first and the change recorded after, as a cancellation is: what Redis
// says was changed has been changed where the money is taken, and when the provider refuses or
// does not answer nothing is written. The other way round, a change the provider made and Redis
// did not record (Redis failed in between: answered 503) is made again when the reader asks
// again, which the provider takes as the same request (the amount's Idempotency-Key, a pause's
// same date), then recorded. Each change is idempotent: the same change again answers as done
// and adds nothing to the history.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "core/trace_context.hpp"
#include "http/problem.hpp"
#include "pledges/pledge.hpp"
#include "pledges/pledge_amount.hpp"

namespace supportd::providers {
class checkout_provider;
}

namespace supportd::pledges {

class pledge_links;
class pledge_limits;
class pledge_store;
struct pledge_metrics;
struct pledge_record;

struct change_outcome {
  enum class kind {
    done,                  // made, or it was so already (`changed` false)
    not_recurring,         // a one-time pledge: nothing recurs to change
    not_monthly,           // a pause of a yearly pledge: months skip no yearly renewal
    not_started,           // pending: no subscription yet (its checkout is not paid)
    ended,                 // canceled, refunded, …: nothing runs to change
    invalid,               // `errors`: the request's fields are not a change that can be made
    no_customer,           // the card page: the provider's customer is not known yet
    provider_off,          // no provider is configured
    provider_rejected,     // the provider refused the change: nothing was changed
    provider_unavailable,  // the provider did not answer: nothing was changed
    store_unavailable,     // Redis did not answer (asking again is safe)
    missing,               // the pledge is gone
  };
  kind what = kind::done;
  bool changed = false;
  std::vector<http::field_error> errors;  // invalid
  std::string url;                        // the card page: where the reader goes
};

// A pause lasts 1 to 3 renewals.
inline constexpr std::int64_t max_pause_renewals = 3;

// When collection resumes after a pause of `renewals` renewals (unix seconds): the pledge's next
// renewal (`next_charge_ms`; now when unknown or past) advanced by that many intervals (a
// month, or twelve for a yearly pledge), less one day. The renewals from the next one up to
// that time fall inside the pause and are not charged; the one after it is charged as usual
// (the day keeps it clear of the pause's end, whatever time of day the provider bills it).
// Calendar months in UTC, the day of the month kept but no later than the month's last.
std::int64_t pause_resumes_at(std::int64_t next_charge_ms, std::int64_t now_ms, interval every,
                              std::int64_t renewals);

// The provider's Idempotency-Key of a change to `amount_minor`: the pledge, how many amount
// changes its history has, and the amount. A retry of a change Redis did not record reuses it
// (the provider answers as the first time, without a second change); the next change, recorded
// or to another amount, gets a new one, so going back to an earlier amount is a change again.
std::string amount_change_key(const pledge_record& p, std::int64_t amount_minor);

// One per worker thread, over that worker's store and provider client.
class pledge_changes {
 public:
  // `provider` is null when none is configured. `links` makes the card page's way back (the
  // manage page).
  pledge_changes(pledge_store& store, providers::checkout_provider* provider,
                 const pledge_limits& limits, const pledge_links& links, pledge_metrics& stats)
      : store_(store), provider_(provider), limits_(limits), links_(links), stats_(stats) {}

  // Each takes `pledge` as just read from the store, and `by` ("reader" or "admin", kept in its
  // history); `trace` is the request's, passed on to the provider.

  // Charges `requested` (held to --pledge-limits for the pledge's currency and interval, as a
  // new pledge is) from the next renewal on; its history gets `amount_changed`, the MRR follows.
  awaitable<change_outcome> change_amount(const pledge_record& pledge,
                                          const amount_fields& requested, std::string_view by,
                                          const trace_context& trace);
  // Skips the next `renewals` (1 to 3) renewals (pause_resumes_at); history `paused`.
  awaitable<change_outcome> pause(const pledge_record& pledge, std::optional<std::int64_t> renewals,
                                  std::string_view by, const trace_context& trace);
  // Collects the next renewal again; history `resumed` (none when it was not paused).
  awaitable<change_outcome> resume(const pledge_record& pledge, std::string_view by,
                                   const trace_context& trace);
  // The provider's page where the reader enters a new card (`url`), leading back to the manage
  // page. Changes nothing here: the provider's events tell what became of it.
  awaitable<change_outcome> open_payment_method_page(const pledge_record& pledge,
                                                     const trace_context& trace);

 private:
  pledge_store& store_;
  providers::checkout_provider* provider_;
  const pledge_limits& limits_;
  const pledge_links& links_;
  pledge_metrics& stats_;
};

}  // namespace supportd::pledges

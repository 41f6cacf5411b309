// The webhooks a pledge's events become for the reader: the JSON the site's email service
// receives (Standard Webhooks' {type, timestamp, data} envelope, as reminder.due) and its
// webhook-id. Pure: the queue (which event makes which message) and the delivery are elsewhere.
//
//   pledge.thank_you          the first successful payment (one-time, or a subscription's first)
//   pledge.payment_succeeded  each later successful charge: a receipt
//   pledge.payment_failed     a renewal failed: attempt count, Stripe's next retry, card update
//   pledge.renewal_upcoming   a yearly pledge renews soon (--renewal-notice-days)
//   pledge.canceled           the pledge ended, with a link to start it again
//
// proto/events/<type>.json describes each body member by member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pledges/pledge.hpp"

namespace supportd::pledges {

enum class message_type {
  thank_you,
  payment_succeeded,
  payment_failed,
  renewal_upcoming,
  canceled,
};

// "pledge.thank_you", …: the body's `type`.
std::string_view type_name(message_type t);
// The inverse, for what the queue stores; nullopt for any other text.
std::optional<message_type> parse_message_type(std::string_view name);

// Who ended a pledge, for pledge.canceled.
enum class canceled_by {
  reader,           // with the cancel link, the manage page or the API
  admin,            // an admin for the reader
  provider,         // the provider ended it (Stripe's dashboard, a dispute, …)
  failed_payments,  // every retry of a renewal failed
};
std::string_view to_string(canceled_by who);

// What a message says about the pledge and the event that made it: the pledge's terms as they
// were when the event was applied, and the type's own facts (zero or empty where they do not
// apply). The reader's address and name are not here: they are opened from the pledge just
// before sending, so an erasure in between leaves nothing to send.
struct message_facts {
  message_type type = message_type::thank_you;
  std::string pledge_id;
  // Names this occurrence of the type for the pledge, stable across every attempt: the paid or
  // failed invoice (or payment) and attempt, the renewal's date, "1" for once-only types.
  std::string occurrence;
  std::int64_t amount_minor = 0;
  std::string currency;  // ISO 4217, upper case, as the pledge keeps it
  interval every = interval::once;
  std::string campaign;
  std::string locale;
  // thank_you, payment_succeeded: the charge; renewal_upcoming: the renewal's.
  std::int64_t charged_minor = 0;
  std::int64_t charged_at_unix = 0;  // renewal_upcoming: when it renews
  // payment_failed.
  std::int64_t attempt_count = 0;
  std::optional<std::int64_t> next_retry_unix;  // none: Stripe will not try again
  // canceled.
  canceled_by ended_by = canceled_by::reader;
};

// The reader, opened from the pledge's sealed fields.
struct message_reader {
  std::string email;
  std::string name;  // may be empty
};

// pledge_links.hpp's, made at send time (empty when links are off).
struct message_links {
  std::string manage_url;
  std::string update_payment_url;  // payment_failed
  std::string restart_url;         // canceled
};

// "pm_<pledge id>_<type>_<occurrence>" (type without the "pledge." prefix): the same for every
// attempt at one message, so a receiver drops a redelivery, and new for every other message.
std::string webhook_id(const message_facts& m);

std::string message_body(const message_facts& m, const message_reader& reader,
                         const message_links& links, std::int64_t now_unix);

}  // namespace supportd::pledges

// What the pledge routes use on one worker thread: that worker's pledge store and the pledge use
// cases over it, its Redis connection and its provider client. app/ builds one per worker; like
// the connection under it, it is used on that worker's thread only.
#pragma once

#include <optional>

#include "notify/outbox_store.hpp"
#include "pledges/cancel_links.hpp"
#include "pledges/idempotent_answers.hpp"
#include "pledges/pledge_cancellation.hpp"
#include "pledges/pledge_changes.hpp"
#include "pledges/pledge_checkout.hpp"
#include "pledges/pledge_links.hpp"
#include "pledges/pledge_store.hpp"

namespace supportd::config {
struct settings;
}
namespace supportd::redis {
class connection;
class replica_wait;
}  // namespace supportd::redis
namespace supportd::limits {
class public_gate;
}
namespace supportd::providers {
class checkout_provider;
}

namespace supportd::pledges {

struct pledge_metrics;
class pledge_limits;

struct pledge_context {
  // `provider` is null when none is configured: the pledge endpoints then answer 503.
  pledge_context(const config::settings& settings, redis::connection& redis,
                 redis::replica_wait& replication, limits::public_gate& gate,
                 providers::checkout_provider* provider, pledge_metrics& stats,
                 const pledge_limits& limits);
  // The use cases hold references to the members before them.
  pledge_context(const pledge_context&) = delete;
  pledge_context& operator=(const pledge_context&) = delete;

  const config::settings& settings;
  limits::public_gate& gate;
  pledge_metrics& stats;
  // --pledge-limits, read at start.
  const pledge_limits& limits;
  cancel_links links;
  // The manage, card-update and restart links of the reader's messages, and their checks.
  pledge_links reader_links;
  pledge_store store;
  // The reader's messages' queue, for an admin's replay of a dead one.
  notify::outbox_store outbox;
  idempotent_answers answers;
  // Starts pledges; nullopt when no provider is configured.
  std::optional<pledge_checkout> checkout;
  pledge_cancellation cancellation;
  // The reader's changes to a recurring pledge: amount, pause, card.
  pledge_changes changes;
};

}  // namespace supportd::pledges

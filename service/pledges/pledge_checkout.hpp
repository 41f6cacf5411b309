// Starting a pledge, the use case behind POST /v1/pledges: a valid pledge becomes a hosted
// checkout at the payment provider and a pending pledge in Redis, or, for a request sent again
// under the same Idempotency-Key, the answer the first one got. Free of HTTP: the route maps
// the outcome to a response.
//
// The steps, in this order:
// 1. Claim the Idempotency-Key, if there is one (idempotent_answers.hpp).
// 2. Ask the provider for a checkout. If it fails, give the claim back: nothing is written.
// 3. Store the pending pledge, its first history event and its sealed answer in one script.
// 4. Wait until Redis's replicas have it (--redis-wait-replicas) before answering "created".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/net.hpp"
#include "core/trace_context.hpp"

namespace supportd::redis {
class replica_wait;
}
namespace supportd::providers {
class checkout_provider;
}
namespace supportd::security {
class data_keys;
}

namespace supportd::pledges {

class cancel_links;
class idempotency_key;
class idempotent_answers;
class pledge_store;
struct pledge_metrics;
struct valid_pledge;

struct checkout_outcome {
  enum class kind {
    created,               // stored and replicated: pledge_id, checkout_url, body
    replayed,              // the Idempotency-Key's first answer: status, checkout_url, body
    conflict,              // the key was used with a different request
    in_progress,           // the same request is still being handled elsewhere
    claim_lost,            // it outlived its claim on the key: nothing stored, checkout closed
    not_stored,            // (no key) the new pledge's id existed: random ids make that rare
    provider_rejected,     // the provider refused this pledge: nothing stored
    provider_unavailable,  // the provider is not answering: nothing stored
    store_unavailable,     // Redis is not answering
    not_replicated,        // stored (or answered before), but not yet on enough replicas
  };
  kind what = kind::created;
  std::string pledge_id;     // created
  std::string checkout_url;  // created, replayed: where the reader's browser goes to pay
  int status = 0;            // replayed: the first answer's status
  // created: the answer (JSON); replayed: the first answer as it was sent, nullopt when the saved
  // one does not unseal.
  std::optional<std::string> body;
};

// One per worker thread, over that worker's store, provider client and replica_wait.
class pledge_checkout {
 public:
  // `data_keys` null: reminders are off, so a pledge keeps no reader hash, and keeps no sealed
  // address, so its reader gets no messages.
  pledge_checkout(pledge_store& store, idempotent_answers& answers,
                  redis::replica_wait& replication, providers::checkout_provider& provider,
                  const cancel_links& links, std::shared_ptr<const security::data_keys> data_keys,
                  pledge_metrics& stats)
      : store_(store),
        answers_(answers),
        replication_(replication),
        provider_(provider),
        links_(links),
        data_keys_(std::move(data_keys)),
        stats_(stats) {}

  // Starts `pledge`. `key`: the request's Idempotency-Key, if any; `request_hash` identifies the
  // request itself (the same request sent again hashes the same). `trace`: the request's, passed
  // on to the provider.
  awaitable<checkout_outcome> start(const valid_pledge& pledge,
                                    const std::optional<idempotency_key>& key,
                                    std::string_view request_hash, const trace_context& trace);

 private:
  pledge_store& store_;
  idempotent_answers& answers_;
  redis::replica_wait& replication_;
  providers::checkout_provider& provider_;
  const cancel_links& links_;
  std::shared_ptr<const security::data_keys> data_keys_;
  pledge_metrics& stats_;
};

}  // namespace supportd::pledges

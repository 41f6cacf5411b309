#include "pledges/idempotent_answers.hpp"

#include <algorithm>

#include "core/pause.hpp"
#include "pledges/pledge_store.hpp"
#include "pledges/sealed_answer.hpp"
#include "redis/replica_wait.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

answer_claim just(answer_claim::outcome what) {
  answer_claim claim;
  claim.what = what;
  return claim;
}

}  // namespace

idempotency_key::idempotency_key(std::string text)
    : text_(std::move(text)), id_(security::sha256_hex(text_)) {}

bool idempotency_key::well_formed(std::string_view text) {
  return !text.empty() && text.size() <= 255 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

awaitable<answer_claim> idempotent_answers::claim(const idempotency_key& key,
                                                  std::string_view request_hash,
                                                  std::string_view pledge_id) {
  for (int waited = 0;; ++waited) {
    const auto read_on = replication_.session();
    auto reserved = co_await store_.reserve(key.id(), request_hash, pledge_id, options_.claim_for);
    if (!reserved) {
      co_return just(answer_claim::outcome::unavailable);
    }
    switch (reserved->what) {
      case reservation::outcome::reserved:
        co_return just(answer_claim::outcome::claimed);
      case reservation::outcome::conflict:
        co_return just(answer_claim::outcome::conflict);
      case reservation::outcome::replay: {
        // The first answer may have been a 503 because its pledge was not replicated in time:
        // it is replayed only once it is.
        auto held = co_await replication_.confirm_read(read_on);
        if (held != redis::replica_wait::outcome::confirmed) {
          co_return just(answer_claim::outcome::not_replicated);
        }
        auto replay = just(answer_claim::outcome::replay);
        replay.status = reserved->status;
        replay.checkout_url = std::move(reserved->location);
        replay.body = unseal_answer(reserved->body, key.text());
        co_return replay;
      }
      case reservation::outcome::in_progress:
        break;
    }
    if (waited >= options_.polls) {
      co_return just(answer_claim::outcome::in_progress);
    }
    co_await pause(options_.poll_every);
  }
}

awaitable<void> idempotent_answers::release(const idempotency_key& key) {
  co_await store_.release(key.id());
}

}  // namespace supportd::pledges

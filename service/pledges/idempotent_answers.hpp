// The answers pledge requests keep under their Idempotency-Key (the IETF httpapi draft's header,
// as Stripe's API uses it): the same request sent again gets the first answer; the key sent with
// another request is refused; the same request sent while the first is still being handled
// waits for that one's answer (a double-click).
//
// A request claims its key before it calls the provider (claim), then either saves its answer
// together with the pledge it creates (pledge_store::create, the answer sealed first:
// sealed_answer.hpp) or gives the claim up when it created nothing (release). Redis files the
// answer under the key's SHA-256, never the key itself, which is what unseals the answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/net.hpp"

namespace supportd::redis {
class replica_wait;
}

namespace supportd::pledges {

class pledge_store;

// An Idempotency-Key as the client sent it, and the id Redis files its answer under.
class idempotency_key {
 public:
  explicit idempotency_key(std::string text);

  // What an Idempotency-Key header may hold: 1 to 255 visible ASCII characters.
  static bool well_formed(std::string_view text);

  const std::string& text() const { return text_; }
  // SHA-256 of the text, in hex.
  const std::string& id() const { return id_; }

 private:
  std::string text_;
  std::string id_;
};

struct answer_claim {
  enum class outcome {
    claimed,         // this request goes on: it saves its answer with its pledge, or releases
    replay,          // the same request was answered before, and the replicas have that answer
    conflict,        // the key was used with a different request
    in_progress,     // the same request is still being handled, after waiting for its answer
    not_replicated,  // answered before, but fewer replicas than asked for have the answer yet
    unavailable,     // Redis did not answer
  };
  outcome what = outcome::claimed;
  // replay: the first answer's status, the checkout URL it sent the reader to, and its body as
  // first sent (nullopt when the saved body does not unseal).
  int status = 0;
  std::string checkout_url;
  std::optional<std::string> body;
};

struct answer_options {
  // How long a claim holds before the key is free again: longer than the slowest checkout call
  // (three attempts of 10 s and their pauses).
  std::chrono::milliseconds claim_for = std::chrono::seconds(120);
  // While the same request holds the key: how often to look for its answer, and how many times
  // before answering in_progress.
  std::chrono::milliseconds poll_every = std::chrono::milliseconds(100);
  int polls = 50;
};

// One per worker thread, over that worker's store and replica_wait; used on that thread only.
class idempotent_answers {
 public:
  idempotent_answers(pledge_store& store, redis::replica_wait& replication,
                     answer_options options = {})
      : store_(store), replication_(replication), options_(options) {}

  // Claims `key` for the request that hashes to `request_hash` and would create `pledge_id`.
  awaitable<answer_claim> claim(const idempotency_key& key, std::string_view request_hash,
                                std::string_view pledge_id);

  // Gives a claim up: nothing was created, so the same request may be sent again at once.
  // Best effort: a claim not given back expires after `claim_for`.
  awaitable<void> release(const idempotency_key& key);

 private:
  pledge_store& store_;
  redis::replica_wait& replication_;
  answer_options options_;
};

}  // namespace supportd::pledges

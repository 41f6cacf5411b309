#include "pledges/pledge_checkout.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "log/logger.hpp"
#include "pledges/cancel_links.hpp"
#include "pledges/idempotent_answers.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_reader.hpp"
#include "pledges/pledge_request.hpp"
#include "pledges/pledge_store.hpp"
#include "pledges/sealed_answer.hpp"
#include "providers/checkout_provider.hpp"
#include "redis/replica_wait.hpp"
#include "security/reader_hash.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

using kind = checkout_outcome::kind;

checkout_outcome just(kind what) {
  checkout_outcome outcome;
  outcome.what = what;
  return outcome;
}

// What a claim on the Idempotency-Key that was not this request's to go on with answers.
checkout_outcome outcome_of(answer_claim claim) {
  switch (claim.what) {
    case answer_claim::outcome::replay: {
      auto replayed = just(kind::replayed);
      replayed.checkout_url = std::move(claim.checkout_url);
      replayed.status = claim.status;
      replayed.body = std::move(claim.body);
      return replayed;
    }
    case answer_claim::outcome::conflict:
      return just(kind::conflict);
    case answer_claim::outcome::in_progress:
      return just(kind::in_progress);
    case answer_claim::outcome::not_replicated:
      return just(kind::not_replicated);
    case answer_claim::outcome::unavailable:
    case answer_claim::outcome::claimed:
      break;
  }
  return just(kind::store_unavailable);
}

pledge_record pending_record(const valid_pledge& pledge, std::string_view pledge_id,
                             const providers::checkout_session& session,
                             std::string_view manage_token) {
  pledge_record record;
  record.id = pledge_id;
  record.status = pledge_state::pending;
  record.amount_minor = pledge.amount_minor;
  record.currency = pledge.money.code;
  record.every = pledge.every;
  record.payment_method = pledge.payment_method;
  record.source = pledge.source;
  record.locale = pledge.locale;
  record.created_at_ms = record.updated_at_ms = core::now_unix_ms();
  record.checkout_session_id = session.id;
  record.checkout_url = session.url;
  record.manage_token_sha256 = security::sha256_hex(manage_token);
  return record;
}

}  // namespace

awaitable<checkout_outcome> pledge_checkout::start(const valid_pledge& pledge,
                                                   const std::optional<idempotency_key>& key,
                                                   std::string_view request_hash,
                                                   const trace_context& trace) {
  const std::string pledge_id = "pl_" + security::random_token(12);
  if (key) {
    auto claim = co_await answers_.claim(*key, request_hash, pledge_id);
    if (claim.what != answer_claim::outcome::claimed) {
      co_return outcome_of(std::move(claim));
    }
  }

  const providers::checkout_request request{pledge_id,
                                            pledge.amount_minor,
                                            pledge.money,
                                            pledge.every,
                                            pledge.email,
                                            pledge.payment_method,
                                            pledge.locale,
                                            pledge.source.campaign,
                                            pledge.success_url,
                                            pledge.cancel_url,
                                            trace.child_traceparent()};
  auto session = co_await provider_.create_checkout(request);
  if (!session) {
    if (key) {
      co_await answers_.release(*key);
    }
    const bool rejected = session.error().what == providers::provider_error::kind::rejected;
    co_return just(rejected ? kind::provider_rejected : kind::provider_unavailable);
  }

  const auto manage_token = std::string(manage_token_prefix) + security::random_token(24);
  auto record = pending_record(pledge, pledge_id, *session, manage_token);
  // Anyone can post a pledge with any address: the reader's reminders for the campaign are
  // cancelled when it is paid (webhooks/event_processor.hpp), never here. The pledge keeps the
  // keyed hash that finds them, not the address.
  // The address and name are kept sealed, for the reader's messages (pledge_message.hpp);
  // without data keys there are none.
  if (data_keys_) {
    record.reminder_reader = security::reader_hash(*data_keys_, pledge.email);
    auto sealed = seal_reader(*data_keys_, pledge_id, pledge.email, pledge.name);
    record.sealed_email = std::move(sealed.email);
    record.sealed_name = std::move(sealed.name);
  }
  boost::json::object answer{{"id", pledge_id},
                             {"status", "pending"},
                             {"checkout_url", session->url},
                             {"manage_token", manage_token},
                             {"amount_minor", pledge.amount_minor},
                             {"currency", pledge.money.code},
                             {"interval", to_string(pledge.every)}};
  if (auto link = links_.link_for(pledge_id, core::now_unix_seconds()); !link.empty()) {
    answer["cancel_link"] = link;
  }
  auto answer_text = boost::json::serialize(answer);
  const auto key_id = key ? key->id() : std::string();
  const auto saved = key ? seal_answer(std::move(answer), key->text()) : std::string();

  const auto written_on = replication_.session();
  auto created = co_await store_.create(record, key_id, 201, saved);
  if (!created) {
    if (key) {
      co_await answers_.release(*key);
    }
    co_return just(kind::store_unavailable);
  }
  if (!*created) {
    // Nothing was written: this request outlived its claim on the Idempotency-Key (it expired,
    // or another request holds it now). "Created" would hand out a checkout for a pledge that
    // does not exist, so the checkout is closed (best effort: it cannot be paid untracked) and
    // the client is told to ask again with the same key, which answers as the key's holder did.
    // Without a key, only a clash with an existing pledge id refuses the write.
    auto session_id = session->id;
    auto traceparent = trace.child_traceparent();
    co_await provider_.abandon_checkout(std::move(session_id), std::move(traceparent));
    log::warn("pledge not stored: its Idempotency-Key claim was lost", {{"pledge_id", pledge_id}});
    co_return just(key ? kind::claim_lost : kind::not_stored);
  }
  stats_.created
      .with({pledge.money.code, to_string(pledge.every), component_label(pledge.source.component)})
      .inc();
  log::info("pledge created", {{"pledge_id", pledge_id},
                               {"currency", pledge.money.code},
                               {"interval", to_string(pledge.every)},
                               {"amount_minor", pledge.amount_minor}});
  // Stored, but a failover before the replicas have it would lose it: not acknowledged until
  // they do. The saved answer stays, so the same request again replays it once replicated.
  auto held = co_await replication_.confirm(written_on);
  if (held != redis::replica_wait::outcome::confirmed) {
    co_return just(kind::not_replicated);
  }
  auto created_outcome = just(kind::created);
  created_outcome.pledge_id = pledge_id;
  created_outcome.checkout_url = session->url;
  created_outcome.body = std::move(answer_text);
  co_return created_outcome;
}

}  // namespace supportd::pledges

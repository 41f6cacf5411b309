#include "reminders/reminder_book.hpp"

#include "redis/errc.hpp"
#include "reminders/reminder_id.hpp"
#include "security/data_keys.hpp"
#include "security/secrets.hpp"

namespace supportd::reminders {
namespace {

using boost::system::result;

// Compare-and-set rounds before giving up: each lost round means another writer changed the
// same reminder in the meantime, which takes a determined race to repeat.
constexpr int max_rounds = 8;

// Unsubscribe links stay valid for a year: long enough for an email read late.
constexpr std::int64_t unsubscribe_link_seconds = 366 * 24 * 3600;

// 31 random bits, never 0 (0 reads as "unset" in the record).
std::uint32_t fresh_occurrence() {
  std::uint32_t n = 0;
  while (n == 0) {
    security::random_bytes({reinterpret_cast<unsigned char*>(&n), sizeof n});
    n &= 0x7fffffff;
  }
  return n;
}

}  // namespace

v1::Reminder finished(const v1::Reminder& r, v1::Reminder::Status status, std::int64_t now_unix) {
  v1::Reminder out;
  out.set_status(status);
  out.set_campaign(r.campaign());
  out.set_component(r.component());
  out.set_variant(r.variant());
  out.set_due_at_unix(r.due_at_unix());
  out.set_occurrence(r.occurrence());
  out.set_updated_at_unix(now_unix);
  return out;
}

reminder_book::reminder_book(reminder_store& store, const security::data_keys& keys,
                             std::string_view link_secret, std::chrono::milliseconds retention)
    : store_(store), keys_(keys), link_secret_(link_secret), retention_(retention) {}

awaitable<result<signup>> reminder_book::sign_up(const valid_reminder& r, std::int64_t now_unix) {
  signup out;
  out.due_unix = r.due_unix;
  const auto reader = reader_part(keys_, r.email);
  v1::Reminder next;
  next.set_status(v1::Reminder::PENDING);
  next.set_campaign(r.campaign);
  next.set_component(r.component);
  next.set_variant(r.variant);
  next.set_page_url(r.page_url);
  next.set_locale(r.locale);
  next.set_consent_version(r.consent_version);
  next.set_consented_at_unix(now_unix);
  next.set_due_at_unix(r.due_unix);
  next.set_every_months(static_cast<std::uint32_t>(r.every_months));
  // The zone matters only to move a recurring reminder on; a one-off needs none stored.
  if (r.every_months > 0) {
    next.set_time_zone(r.time_zone);
  }
  next.set_updated_at_unix(now_unix);
  // Random rather than counted, so that the sign-up needs no read first: with the id it names
  // each delivery (webhook-id).
  next.set_occurrence(fresh_occurrence());
  // A taken id (48 random bits under one reader's prefix) is a once-in-a-lifetime event; a few
  // draws are plenty.
  for (int draw = 0; draw < 4; ++draw) {
    out.id = new_reminder_id(reader);
    next.set_sealed_email(keys_.seal(r.email, out.id));
    auto added = co_await store_.add_pending(out.id, next, r.due_unix * 1000, now_unix * 1000);
    if (!added) {
      co_return added.error();
    }
    if (*added) {
      co_return out;
    }
  }
  co_return make_error_code(redis::errc::contended);
}

awaitable<result<stop_outcome>> reminder_book::stop(std::string_view id,
                                                    v1::Reminder::Status status,
                                                    std::int64_t now_unix) {
  for (int round = 0; round < max_rounds; ++round) {
    auto existing = co_await store_.find(id);
    if (!existing) {
      co_return existing.error();
    }
    if (!*existing) {
      co_return stop_outcome::not_found;
    }
    const auto& current = (*existing)->value;
    // A dead letter still holds the address and could be replayed: stopping covers it too.
    if (current.status() != v1::Reminder::PENDING && current.status() != v1::Reminder::DEAD) {
      co_return stop_outcome::already_stopped;
    }
    reminder_change change{
        std::string(id), (*existing)->bytes, finished(current, status, now_unix), {}};
    change.where.keep_for = retention_;
    if (status == v1::Reminder::UNSUBSCRIBED) {
      change.counts = reports::report_counter::reminders_unsubscribed;
      change.counted_at_ms = now_unix * 1000;
    }
    auto written = co_await store_.replace(std::move(change));
    if (!written) {
      co_return written.error();
    }
    if (*written) {
      co_return stop_outcome::stopped;
    }
  }
  co_return make_error_code(redis::errc::contended);
}

awaitable<result<stop_outcome>> reminder_book::unsubscribe(std::string_view id,
                                                           std::int64_t now_unix) {
  auto existing = co_await store_.find(id);
  if (!existing) {
    co_return existing.error();
  }
  auto stopped = co_await stop(id, v1::Reminder::UNSUBSCRIBED, now_unix);
  if (!stopped || !*existing) {
    co_return stopped;
  }
  // Whoever clicked holds the address (the link came to it): the reader's other reminders for
  // the campaign, which a repeated sign-up may have added, stop too. A delivered reminder keeps
  // no address, and the link is mostly clicked after delivery: then the id's reader part (72 bits
  // of the reader's keyed hash) names the reader.
  const auto& value = (*existing)->value;
  auto email = keys_.open(value.sealed_email(), id);
  const auto reader = email ? reader_hash(keys_, *email) : std::string(reader_part_of(id));
  auto others = co_await stop_readers_campaign(reader, value.campaign(), id,
                                               v1::Reminder::UNSUBSCRIBED, now_unix);
  if (!others) {
    co_return others.error();
  }
  co_return stopped;
}

awaitable<result<std::int64_t>> reminder_book::cancel_for_paid_pledge(std::string_view reader_hash,
                                                                      std::string_view campaign,
                                                                      std::int64_t now_unix) {
  co_return co_await stop_readers_campaign(reader_hash, campaign, {}, v1::Reminder::CANCELLED,
                                           now_unix);
}

awaitable<result<std::int64_t>> reminder_book::stop_readers_campaign(std::string_view reader,
                                                                     std::string_view campaign,
                                                                     std::string_view except,
                                                                     v1::Reminder::Status status,
                                                                     std::int64_t now_unix) {
  std::int64_t stopped = 0;
  auto ids = co_await store_.kept_ids_starting_with(reader_part_of(reader));
  if (!ids) {
    co_return ids.error();
  }
  for (const auto& id : *ids) {
    if (id == except) {
      continue;
    }
    auto existing = co_await store_.find(id);
    if (!existing) {
      co_return existing.error();
    }
    if (!*existing || (*existing)->value.campaign() != campaign) {
      continue;
    }
    // Another reader's reminder may share the prefix: only what opens to this reader counts
    // (`reader` is their whole keyed hash, or its reader part).
    auto email = keys_.open((*existing)->value.sealed_email(), id);
    if (!email || !reader_hash(keys_, *email).starts_with(reader)) {
      continue;
    }
    auto done = co_await stop(id, status, now_unix);
    if (!done) {
      co_return done.error();
    }
    if (*done == stop_outcome::stopped) {
      ++stopped;
    }
  }
  co_return stopped;
}

awaitable<result<stop_outcome>> reminder_book::remove(std::string_view id) {
  auto removed = co_await store_.remove(id);
  if (!removed) {
    co_return removed.error();
  }
  co_return *removed ? stop_outcome::stopped : stop_outcome::not_found;
}

awaitable<result<erasure_report>> reminder_book::erase_reader(std::string_view email) {
  erasure_report report;
  auto ids = co_await store_.ids_starting_with(reader_part(keys_, email));
  if (!ids) {
    co_return ids.error();
  }
  for (const auto& id : *ids) {
    auto existing = co_await store_.find(id);
    if (!existing) {
      co_return existing.error();
    }
    if (!*existing) {
      continue;
    }
    // Another reader's reminder may share the prefix: remove only what opens to this address.
    // Records without an address (finished ones) carry nothing personal but the pseudonymous
    // id, whose 72-bit reader part is this reader's: removing another reader's tombstone by a
    // shared prefix would only make their old link answer as any unknown one does.
    const auto& sealed = (*existing)->value.sealed_email();
    bool ours = sealed.empty() || keys_.open(sealed, id) == std::optional<std::string>(email);
    if (!ours) {
      continue;
    }
    if (auto removed = co_await store_.remove(id); !removed) {
      co_return removed.error();
    }
    ++report.reminders_removed;
  }
  co_return report;
}

awaitable<result<replay_outcome>> reminder_book::replay_dead(std::string_view id,
                                                             std::int64_t now_unix) {
  if (!is_reminder_id(id)) {
    co_return replay_outcome::not_found;
  }
  auto found = co_await store_.find(id);
  if (!found) {
    co_return found.error();
  }
  if (!*found || (*found)->value.status() != v1::Reminder::DEAD) {
    co_return replay_outcome::not_found;
  }
  reminder_change change{std::string(id), (*found)->bytes, (*found)->value, {}};
  change.next.set_status(v1::Reminder::PENDING);
  change.next.set_failed_attempts(0);
  change.next.clear_last_error();
  change.next.set_updated_at_unix(now_unix);
  change.where.due_ms = now_unix * 1000;
  auto written = co_await store_.replace(std::move(change));
  if (!written) {
    co_return written.error();
  }
  co_return *written ? replay_outcome::replayed : replay_outcome::changed;
}

std::string reminder_book::unsubscribe_token(std::string_view id, std::int64_t now_unix) const {
  return security::sign_link(link_secret_, "reminder-unsubscribe", id,
                             now_unix + unsubscribe_link_seconds);
}

bool reminder_book::unsubscribe_token_matches(std::string_view id, std::string_view token,
                                              std::int64_t now_unix) const {
  return security::verify_link(link_secret_, "reminder-unsubscribe", id, token, now_unix);
}

awaitable<result<reseal_report>> reminder_book::reseal(std::string_view cursor,
                                                       std::int64_t limit) {
  reseal_report report{std::string(cursor)};
  do {
    auto page = co_await store_.records_step(report.cursor);
    if (!page) {
      co_return page.error();
    }
    report.cursor = std::move(page->cursor);
    for (const auto& r : page->records) {
      const auto& sealed = r.value.sealed_email();
      if (sealed.empty()) {
        continue;  // finished: no address kept
      }
      ++report.examined;
      if (sealed.substr(0, sealed.find(':')) == keys_.sealing_key_id()) {
        continue;
      }
      auto address = keys_.open(sealed, r.id);
      if (!address) {
        ++report.unreadable;
        continue;
      }
      auto written = co_await store_.replace_sealed_email(r, keys_.seal(*address, r.id));
      if (!written) {
        co_return written.error();
      }
      ++(*written ? report.resealed : report.changed);
    }
  } while (report.cursor != "0" && report.examined < limit);
  co_return report;
}

}  // namespace supportd::reminders

#include "pledges/pledge_store.hpp"

#include <charconv>
#include <deque>
#include <unordered_set>

#include "core/clock.hpp"
#include "notify/outbox.hpp"
#include "pledges/message_plan.hpp"
#include "pledges/pledge_fields.hpp"
#include "pledges/pledge_report.hpp"
#include "pledges/scripts.hpp"
#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "redis/key_scan.hpp"
#include "reports/report_counter.hpp"
#include "reports/report_metrics.hpp"
#include "security/reader_hash.hpp"

namespace supportd::pledges {
namespace {

using boost::system::result;

// The scripts are pledges/scripts/*.lua, embedded by the build (cmake/embed_lua.cmake); the
// ones that create or change a pledge begin with recurring_stats.lua, the stats hashes' rule.
const redis::script reserve_script{std::string(scripts::reserve_idempotency)};
const redis::script release_script{std::string(scripts::release_idempotency)};
const redis::script create_script{std::string(scripts::create_pledge)};
const redis::script transition_script{std::string(scripts::transition_pledge)};
const redis::script provider_update_script{std::string(scripts::apply_provider_update)};
const redis::script confirm_address_script{std::string(scripts::confirm_address)};
const redis::script erase_reader_script{std::string(scripts::erase_reader)};
const redis::script stats_script{std::string(scripts::read_stats)};
const redis::script read_pledges_script{std::string(scripts::read_pledges)};
const redis::script replace_stats_script{std::string(scripts::replace_stats)};
const redis::script change_amount_script{std::string(scripts::change_amount)};
const redis::script pause_script{std::string(scripts::pause_pledge)};

// Pledges read per SCAN step (and per read script): bounds each script's run time.
constexpr std::string_view scan_batch = "1000";

constexpr auto kept_answer = std::chrono::hours(24);

std::int64_t to_int(const std::string& text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// A flat HGETALL reply of integers, as a map.
result<std::map<std::string, std::int64_t, std::less<>>> as_counts(const redis::reply& r) {
  auto flat = redis::as_string_array(r);
  if (!flat) {
    return flat.error();
  }
  std::map<std::string, std::int64_t, std::less<>> out;
  for (std::size_t i = 0; i + 1 < flat->size(); i += 2) {
    out[(*flat)[i]] = to_int((*flat)[i + 1]);
  }
  return out;
}

// A pledge's fields the report needs, as HMGET reads them after `status` and `interval` (the
// two every change reads): see facts_of.
constexpr std::string_view fact_fields[] = {
    pledge_field::campaign, pledge_field::component,      pledge_field::variant,
    pledge_field::currency, pledge_field::amount_minor,   pledge_field::created_at_ms,
    pledge_field::page_url, pledge_field::reminder_reader};

// Who asked to cancel ("reader" or "admin", pledge_field::cancel_asked's "<who> <unix ms>"), when
// they asked within cancel_asked_for before `now_ms`.
std::optional<std::string> cancel_asker(const std::string& asked, std::int64_t now_ms) {
  const auto space = asked.find(' ');
  if (space == std::string::npos) {
    return std::nullopt;
  }
  auto who = asked.substr(0, space);
  const auto at_ms = to_int(asked.substr(space + 1));
  const auto window_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cancel_asked_for).count();
  if ((who != "reader" && who != "admin") || at_ms <= 0 || now_ms - at_ms > window_ms) {
    return std::nullopt;
  }
  return who;
}

canceled_by canceled_by_source(std::string_view source) {
  return source == "admin" ? canceled_by::admin : canceled_by::reader;
}

std::string text_at(const redis::reply& r, std::size_t i) {
  return r.elements[i].is_nil() ? std::string() : r.elements[i].text;
}

// The facts from a reply to HMGET status interval <fact_fields…>; `every` as parsed.
pledge_facts facts_of(const redis::reply& r, interval every) {
  pledge_facts p;
  p.group = {text_at(r, 2), text_at(r, 3), text_at(r, 4), text_at(r, 5),
             std::string(to_string(every))};
  p.amount_minor = to_int(text_at(r, 6));
  p.created_at_ms = to_int(text_at(r, 7));
  p.page_url = text_at(r, 8);
  return p;
}

// The report's part of a script's ARGV (report_counts.lua): how long the day hash is kept, how
// many counts, then field/amount pairs. `numbers` keeps the texts the views point at (a deque: they
// stay where they are as it grows).
void append_counts(std::vector<std::string_view>& args, std::deque<std::string>& numbers,
                   const reports::report_tally& tally) {
  args.push_back(tally.keep_seconds);
  numbers.push_back(std::to_string(tally.counts.size()));
  args.push_back(numbers.back());
  for (const auto& [field, amount] : tally.counts) {
    numbers.push_back(std::to_string(amount));
    args.push_back(field);
    args.push_back(numbers.back());
  }
}

// The messages' part of a script's ARGV (queue_messages.lua): n, then each message's id, due
// time, text and whether it is about the event's payment. `numbers` as append_counts's.
void append_messages(std::vector<std::string_view>& args, std::deque<std::string>& numbers,
                     const std::vector<queued_message>& messages) {
  numbers.push_back(std::to_string(messages.size()));
  args.push_back(numbers.back());
  for (const auto& m : messages) {
    numbers.push_back(std::to_string(m.due_ms));
    args.push_back(m.webhook_id);
    args.push_back(numbers.back());
    args.push_back(m.text);
    args.push_back(m.per_payment ? "1" : "0");
  }
}

reports::report_tally tally_of(std::string_view prefix, std::int64_t at_ms,
                               const reports::report_group& group, const report_counts& counts) {
  auto tally = reports::tally_for_day(prefix, at_ms);
  for (const auto& [counter, amount] : counts) {
    tally.counts.emplace_back(reports::counter_field(group, counter), amount);
  }
  return tally;
}

std::string encode_event(std::string_view event, std::string_view from, std::string_view to,
                         std::string_view source, std::string_view reference) {
  v1::PledgeEvent e;
  e.set_at_unix_ms(core::now_unix_ms());
  e.set_event(std::string(event));
  e.set_from_state(std::string(from));
  e.set_to_state(std::string(to));
  e.set_source(std::string(source));
  e.set_reference(std::string(reference));
  return e.SerializeAsString();
}

}  // namespace

pledge_store::stats_key_names pledge_store::stats_keys() const {
  return {key("stats", "active"), key("stats", "mrr_minor"), key("stats", "version"),
          key("stats", "reconciled_ms")};
}

std::string pledge_store::key(std::string_view kind, std::string_view id) const {
  std::string k(prefix_);
  k += kind;
  k += ':';
  k += id;
  return k;
}

awaitable<result<reservation>> pledge_store::reserve(std::string_view idem_key,
                                                     std::string_view request_hash,
                                                     std::string_view new_pledge_id,
                                                     std::chrono::milliseconds claim_for) {
  auto k = key("idem:pledge", idem_key);
  auto ms = std::to_string(claim_for.count());
  std::string_view keys[] = {k};
  std::string_view args[] = {request_hash, new_pledge_id, ms};
  auto reply = co_await redis_.run(reserve_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  auto parts = redis::as_string_array(*reply);
  if (!parts || parts->empty()) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  const auto& v = *parts;
  reservation r;
  if (v[0] == "reserved" && v.size() == 2) {
    r.what = reservation::outcome::reserved;
    r.pledge_id = v[1];
  } else if (v[0] == "in_progress" && v.size() == 2) {
    r.what = reservation::outcome::in_progress;
    r.pledge_id = v[1];
  } else if (v[0] == "replay" && v.size() == 4) {
    r.what = reservation::outcome::replay;
    r.status = static_cast<int>(to_int(v[1]));
    r.location = v[2];
    r.body = v[3];
  } else if (v[0] == "conflict") {
    r.what = reservation::outcome::conflict;
  } else {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  co_return r;
}

awaitable<result<void>> pledge_store::release(std::string_view idem_key) {
  auto k = key("idem:pledge", idem_key);
  std::string_view keys[] = {k};
  auto reply = co_await redis_.run(release_script, keys, {});
  if (!reply) {
    co_return reply.error();
  }
  co_return result<void>{};
}

awaitable<result<bool>> pledge_store::create(const pledge_record& p, std::string_view idem_key,
                                             int status, std::string_view response_body) {
  auto pledge_key = key("pledge", p.id);
  auto events_key = pledge_key + ":events";
  auto index_key = key("checkout", p.checkout_session_id);
  auto answer_key = key("idem:pledge", idem_key);
  auto event = encode_event("created", "", to_string(p.status), "api", p.checkout_session_id);
  auto status_text = std::to_string(status);
  auto kept = std::to_string(std::chrono::milliseconds(kept_answer).count());

  const std::string numbers[] = {std::to_string(p.amount_minor), std::to_string(p.created_at_ms)};
  std::vector<std::string_view> args = {
      event,       p.id,           p.checkout_session_id, idem_key.empty() ? "0" : "1",
      status_text, p.checkout_url, response_body,         kept};
  const reports::report_group group{p.source.campaign, p.source.component, p.source.variant,
                                    p.currency, std::string(to_string(p.every))};
  const auto tally = tally_of(prefix_, p.created_at_ms, group, report_creation());
  std::deque<std::string> counts;
  append_counts(args, counts, tally);
  const std::pair<std::string_view, std::string_view> fields[] = {
      {pledge_field::id, p.id},
      {pledge_field::status, to_string(p.status)},
      {pledge_field::amount_minor, numbers[0]},
      {pledge_field::currency, p.currency},
      {pledge_field::interval, to_string(p.every)},
      {pledge_field::payment_method, p.payment_method},
      {pledge_field::campaign, p.source.campaign},
      {pledge_field::component, p.source.component},
      {pledge_field::variant, p.source.variant},
      {pledge_field::page_url, p.source.page_url},
      {pledge_field::referrer, p.source.referrer},
      {pledge_field::country, p.source.country},
      {pledge_field::locale, p.locale},
      {pledge_field::created_at_ms, numbers[1]},
      {pledge_field::updated_at_ms, numbers[1]},
      {pledge_field::checkout_session_id, p.checkout_session_id},
      {pledge_field::checkout_url, p.checkout_url},
      {pledge_field::manage_token_sha256, p.manage_token_sha256},
      {pledge_field::reminder_reader, p.reminder_reader},
  };
  for (const auto& [name, value] : fields) {
    args.push_back(name);
    args.push_back(value);
  }
  // Present only when sealed: the scripts take a pledge with a `sealed_email` for one whose
  // reader can be written to.
  for (const auto& [name, value] : {std::pair{pledge_field::sealed_email, &p.sealed_email},
                                    std::pair{pledge_field::sealed_name, &p.sealed_name}}) {
    if (!value->empty()) {
      args.push_back(name);
      args.push_back(*value);
    }
  }
  const auto stats = stats_keys();
  const auto reader_key = key("reader", p.reminder_reader);
  std::vector<std::string_view> keys = {pledge_key,   events_key, index_key,     answer_key,
                                        stats.active, stats.mrr,  stats.version, tally.day_key};
  // A pledge that keeps its reader's address is listed under the reader, for an erasure.
  if (!p.sealed_email.empty() && !p.reminder_reader.empty()) {
    keys.push_back(reader_key);
  }
  auto created = co_await redis_.run_for_flag(create_script, keys, args);
  if (created && *created && report_ != nullptr) {
    report_->count(tally.counts);
  }
  co_return created;
}

awaitable<result<std::optional<pledge_record>>> pledge_store::find(std::string_view id) {
  auto pledge_key = key("pledge", id);
  std::string_view get[] = {"HGETALL", pledge_key};
  auto reply = co_await redis_.command(get);
  if (!reply) {
    co_return reply.error();
  }
  auto flat = redis::as_string_array(*reply);
  if (!flat) {
    co_return flat.error();
  }
  if (flat->empty()) {
    co_return std::optional<pledge_record>{};
  }
  pledge_record p;
  for (std::size_t i = 0; i + 1 < flat->size(); i += 2) {
    const auto& name = (*flat)[i];
    auto& value = (*flat)[i + 1];
    if (name == pledge_field::id)
      p.id = value;
    else if (name == pledge_field::status)
      p.status = parse_state(value).value_or(pledge_state::pending);
    else if (name == pledge_field::amount_minor)
      p.amount_minor = to_int(value);
    else if (name == pledge_field::currency)
      p.currency = value;
    else if (name == pledge_field::interval)
      p.every = parse_interval(value).value_or(interval::once);
    else if (name == pledge_field::payment_method)
      p.payment_method = value;
    else if (name == pledge_field::campaign)
      p.source.campaign = value;
    else if (name == pledge_field::component)
      p.source.component = value;
    else if (name == pledge_field::variant)
      p.source.variant = value;
    else if (name == pledge_field::page_url)
      p.source.page_url = value;
    else if (name == pledge_field::referrer)
      p.source.referrer = value;
    else if (name == pledge_field::country)
      p.source.country = value;
    else if (name == pledge_field::locale)
      p.locale = value;
    else if (name == pledge_field::created_at_ms)
      p.created_at_ms = to_int(value);
    else if (name == pledge_field::updated_at_ms)
      p.updated_at_ms = to_int(value);
    else if (name == pledge_field::checkout_session_id)
      p.checkout_session_id = value;
    else if (name == pledge_field::checkout_url)
      p.checkout_url = value;
    else if (name == pledge_field::subscription_id)
      p.subscription_id = value;
    else if (name == pledge_field::manage_token_sha256)
      p.manage_token_sha256 = value;
    else if (name == pledge_field::reminder_reader)
      p.reminder_reader = value;
    else if (name == pledge_field::sealed_email)
      p.sealed_email = value;
    else if (name == pledge_field::sealed_name)
      p.sealed_name = value;
    else if (name == pledge_field::charges_succeeded)
      p.charges_succeeded = to_int(value);
    else if (name == pledge_field::total_given_minor)
      p.total_given_minor = to_int(value);
    else if (name == pledge_field::total_refunded_minor)
      p.total_refunded_minor = to_int(value);
    else if (name == pledge_field::last_charge_at_ms)
      p.last_charge_at_ms = to_int(value);
    else if (name == pledge_field::next_charge_at_ms)
      p.next_charge_at_ms = to_int(value);
    else if (name == pledge_field::consecutive_failures)
      p.consecutive_failures = to_int(value);
    else if (name == pledge_field::customer_id)
      p.customer_id = value;
    else if (name == pledge_field::paused_until_ms)
      p.paused_until_ms = to_int(value);
  }
  auto events_key = pledge_key + ":events";
  std::string_view range[] = {"LRANGE", events_key, "0", "-1"};
  auto events = co_await redis_.command(range);
  if (!events) {
    co_return events.error();
  }
  auto encoded = redis::as_string_array(*events);
  if (!encoded) {
    co_return encoded.error();
  }
  for (const auto& bytes : *encoded) {
    v1::PledgeEvent e;
    if (e.ParseFromString(bytes)) {
      p.events.push_back(std::move(e));
    }
  }
  co_return std::optional<pledge_record>{std::move(p)};
}

awaitable<result<transition_result>> pledge_store::apply(std::string_view id, pledge_event e,
                                                         std::string_view source,
                                                         std::string_view reference) {
  auto pledge_key = key("pledge", id);
  auto events_key = pledge_key + ":events";
  const auto stats = stats_keys();
  const auto outbox = notify::outbox_keys::under(prefix_);
  std::vector<std::string_view> read = {"HMGET", pledge_key, pledge_field::status,
                                        pledge_field::interval};
  read.insert(read.end(), std::begin(fact_fields), std::end(fact_fields));
  auto reply = co_await redis_.command(read);
  // A few rounds at most: each lost race means another input was applied in between.
  for (int round = 0; round < 8; ++round) {
    if (!reply) {
      co_return reply.error();
    }
    if (reply->type != redis::reply::kind::array || reply->elements.size() != read.size() - 2 ||
        reply->elements[0].is_nil()) {
      co_return transition_result{transition_result::outcome::missing, {}, {}};
    }
    auto state = parse_state(reply->elements[0].text);
    auto every = parse_interval(reply->elements[1].text);
    if (!state || !every) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    auto next = next_state(*state, e, *every);
    if (!next) {
      co_return transition_result{transition_result::outcome::ignored, *state, *state};
    }
    auto event = encode_event(to_string(e), to_string(*state), to_string(*next), source, reference);
    const auto now_ms = core::now_unix_ms();
    auto now = std::to_string(now_ms);
    const auto facts = facts_of(*reply, *every);
    const auto tally =
        tally_of(prefix_, now_ms, facts.group, report_change(facts, *state, *next, now_ms));
    std::string_view keys[] = {pledge_key,    events_key,    stats.active, stats.mrr,
                               stats.version, tally.day_key, outbox.due,   outbox.items};
    std::vector<std::string_view> args = {to_string(*state), to_string(*next), event, now};
    std::deque<std::string> counts;
    append_counts(args, counts, tally);
    // The reader's message (queue_messages.lua): a cancellation by them or an admin.
    const auto messages =
        e == pledge_event::cancel_requested
            ? messages_for_cancel({std::string(id), *state, *next, *every, now_ms, renewal_notice_},
                                  canceled_by_source(source))
            : std::vector<queued_message>{};
    append_messages(args, counts, messages);
    auto outcome = co_await redis_.run(transition_script, keys, args);
    if (!outcome) {
      co_return outcome.error();
    }
    auto text = redis::as_string(*outcome);
    if (!text) {
      co_return text.error();
    }
    if (*text == "applied") {
      if (report_ != nullptr) {
        report_->count(tally.counts);
      }
      co_return transition_result{transition_result::outcome::applied, *state, *next, tally.counts};
    }
    if (*text == "missing") {
      co_return transition_result{transition_result::outcome::missing, {}, {}};
    }
    reply = co_await redis_.command(read);
  }
  co_return make_error_code(redis::errc::overloaded);
}

awaitable<result<change_result>> pledge_store::change_amount(std::string_view id,
                                                             std::int64_t amount_minor,
                                                             std::string_view source,
                                                             std::string_view reference) {
  // Named, not a temporary inside the co_await (which g++ 12 may destroy too early).
  const auto amount = std::to_string(amount_minor);
  co_return co_await change_running(id, change_amount_script, true, amount, "amount_changed",
                                    source, reference);
}

awaitable<result<change_result>> pledge_store::set_pause(std::string_view id,
                                                         std::int64_t paused_until_ms,
                                                         std::string_view source,
                                                         std::string_view reference) {
  // Decided before the co_await: g++ 12 builds both arms of a conditional inside one.
  const bool pausing = paused_until_ms > 0;
  std::string until;
  std::string_view event = "resumed";
  if (pausing) {
    until = std::to_string(paused_until_ms);
    event = "paused";
  }
  co_return co_await change_running(id, pause_script, false, until, event, source, reference);
}

awaitable<result<change_result>> pledge_store::change_running(
    std::string_view id, const redis::script& script, bool with_stats, std::string_view value,
    std::string_view event_name, std::string_view source, std::string_view reference) {
  auto pledge_key = key("pledge", id);
  auto events_key = pledge_key + ":events";
  const auto stats = stats_keys();
  std::vector<std::string_view> keys = {pledge_key, events_key};
  if (with_stats) {
    keys.insert(keys.end(), {stats.active, stats.mrr, stats.version});
  }
  std::string_view read[] = {"HGET", pledge_key, pledge_field::status};
  // A few rounds at most: each lost race means another input was applied in between.
  for (int round = 0; round < 8; ++round) {
    auto reply = co_await redis_.command(read);
    if (!reply) {
      co_return reply.error();
    }
    if (reply->is_nil()) {
      co_return change_result{change_result::outcome::missing};
    }
    auto state = parse_state(reply->text);
    if (!state) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    if (*state != pledge_state::active && *state != pledge_state::past_due) {
      co_return change_result{change_result::outcome::refused, *state};
    }
    // The entry records the state the change was made in (it moves no state).
    const auto event =
        encode_event(event_name, to_string(*state), to_string(*state), source, reference);
    const auto now = std::to_string(core::now_unix_ms());
    const std::string_view args[] = {to_string(*state), value, event, now};
    auto outcome = co_await redis_.run(script, keys, args);
    if (!outcome) {
      co_return outcome.error();
    }
    auto text = redis::as_string(*outcome);
    if (!text) {
      co_return text.error();
    }
    if (*text == "applied") {
      co_return change_result{change_result::outcome::applied, *state};
    }
    if (*text == "unchanged") {
      co_return change_result{change_result::outcome::unchanged, *state};
    }
    if (*text == "missing") {
      co_return change_result{change_result::outcome::missing};
    }
    // Another input moved the pledge on: decide again in its new state.
  }
  co_return make_error_code(redis::errc::overloaded);
}

awaitable<result<void>> pledge_store::note_cancel_asked(std::string_view id, std::string_view by) {
  // The pledge exists (the caller has just read it) and pledges are never deleted, so HSET
  // creates no stray hash.
  const auto pledge_key = key("pledge", id);
  const auto asked = std::string(by) + " " + std::to_string(core::now_unix_ms());
  std::string_view hset[] = {"HSET", pledge_key, pledge_field::cancel_asked, asked};
  auto reply = co_await redis_.command(hset);
  if (!reply) {
    co_return reply.error();
  }
  co_return result<void>();
}

awaitable<result<void>> pledge_store::forget_cancel_asked(std::string_view id) {
  const auto pledge_key = key("pledge", id);
  std::string_view hdel[] = {"HDEL", pledge_key, pledge_field::cancel_asked};
  auto reply = co_await redis_.command(hdel);
  if (!reply) {
    co_return reply.error();
  }
  co_return result<void>();
}

awaitable<result<std::string>> pledge_store::pledge_named_by(const provider_update& u) {
  if (!u.pledge_id.empty()) {
    co_return u.pledge_id;
  }
  // Every index that may name the pledge, in one round trip; the first that does wins.
  std::vector<std::string> index_keys;
  if (!u.subscription_id.empty()) {
    index_keys.push_back(key("subscription", u.subscription_id));
  }
  for (const auto& ref : u.payment_lookups) {
    index_keys.push_back(key("payment", ref));
  }
  if (index_keys.empty()) {
    co_return std::string();
  }
  std::vector<std::string_view> get = {"MGET"};
  get.insert(get.end(), index_keys.begin(), index_keys.end());
  auto found = co_await redis_.command(get);
  if (!found) {
    co_return found.error();
  }
  if (found->type != redis::reply::kind::array) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  for (const auto& element : found->elements) {
    if (element.type == redis::reply::kind::string) {
      co_return element.text;
    }
  }
  co_return std::string();
}

pledge_store::provider_update_plan pledge_store::plan_provider_update(
    const provider_update& u, std::string_view source, std::chrono::milliseconds remember_for,
    const provider_update_result& found, const redis::reply& read, pledge_state state,
    interval every) const {
  provider_update_plan plan;
  auto next = u.input ? next_state(state, *u.input, every) : std::nullopt;
  plan.after = next.value_or(state);
  const auto after = plan.after;
  const auto now_ms = core::now_unix_ms();
  // The provider ended a subscription that a reader or an admin had just asked it to end
  // (Stripe sends customer.subscription.deleted while it answers the DELETE): recorded as
  // their cancellation, whichever of the two is applied first.
  const auto asker = u.input == pledge_event::subscription_ended &&
                             state != pledge_state::canceled && after == pledge_state::canceled
                         ? cancel_asker(text_at(read, 10), now_ms)
                         : std::nullopt;
  const auto event_name = asker     ? to_string(pledge_event::cancel_requested)
                          : u.input ? to_string(*u.input)
                                    : std::string_view("provider_update");
  auto& args = plan.args;
  args = {std::string(to_string(state)),
          next ? std::string(to_string(*next)) : std::string(),
          encode_event(event_name, to_string(state), to_string(after),
                       asker ? std::string_view(*asker) : source, u.reference),
          std::to_string(now_ms),
          std::to_string(remember_for.count()),
          u.subscription_id,
          std::to_string(u.increments.size()),
          u.count_once_as};
  // The report: what the change counts, and on a first payment the reminder conversion it
  // may count (the reader's delivery mark for the campaign, else the give link).
  const auto facts = facts_of(read, every);
  const auto tally =
      tally_of(prefix_, now_ms, facts.group, report_change(facts, state, after, now_ms));
  plan.counts = tally.counts;
  const bool first_payment = is_first_payment(state, after);
  const bool take_mark = first_payment && !found.reminder_reader.empty();
  args.emplace_back(take_mark ? "1" : "0");
  args.push_back(first_payment ? give_link_conversion_field(facts) : std::string());
  // append_counts and append_messages write views; their texts are copied in below.
  std::vector<std::string_view> tail;
  std::deque<std::string> numbers;
  append_counts(tail, numbers, tally);
  // The reader's messages (queue_messages.lua).
  const message_context context{found.pledge_id, state, after, every, now_ms, renewal_notice_};
  const auto messages =
      asker ? messages_for_cancel(context, canceled_by_source(*asker)) : messages_for(u, context);
  append_messages(tail, numbers, messages);
  args.insert(args.end(), tail.begin(), tail.end());
  for (const auto& [field, amount] : u.increments) {
    args.push_back(field);
    args.push_back(std::to_string(amount));
  }
  for (const auto& [field, value] : u.fields) {
    args.push_back(field);
    args.push_back(value);
  }

  const auto pledge_key = key("pledge", found.pledge_id);
  const auto stats = stats_keys();
  const auto outbox = notify::outbox_keys::under(prefix_);
  plan.keys = {
      pledge_key, pledge_key + ":events", key("seen", u.event_id),
      key("subscription", u.subscription_id), stats.active, stats.mrr, stats.version, tally.day_key,
      // Not read without a mark to take: any key of the script will do then.
      take_mark ? reports::delivery_mark_key(
                      prefix_, security::reader_campaign_key(found.reminder_reader, found.campaign))
                : tally.day_key,
      outbox.due, outbox.items};
  for (const auto& ref : u.payment_refs) {
    plan.keys.push_back(key("payment", ref));
  }
  return plan;
}

awaitable<result<provider_update_result>> pledge_store::apply_provider_update(
    const provider_update& u, std::string_view source, std::chrono::milliseconds remember_for) {
  provider_update_result out;
  auto named = co_await pledge_named_by(u);
  if (!named) {
    co_return named.error();
  }
  out.pledge_id = std::move(*named);
  if (out.pledge_id.empty()) {
    co_return out;  // missing
  }
  const auto pledge_key = key("pledge", out.pledge_id);
  std::vector<std::string_view> read = {"HMGET", pledge_key, pledge_field::status,
                                        pledge_field::interval};
  read.insert(read.end(), std::begin(fact_fields), std::end(fact_fields));
  read.push_back(pledge_field::cancel_asked);
  for (int round = 0; round < 8; ++round) {
    auto reply = co_await redis_.command(read);
    if (!reply) {
      co_return reply.error();
    }
    if (reply->type != redis::reply::kind::array || reply->elements.size() != read.size() - 2 ||
        reply->elements[0].is_nil()) {
      co_return out;  // missing
    }
    // None of these change once the pledge exists (forget_reminder_reader only drops the
    // reader).
    out.reminder_reader = text_at(*reply, 9);
    out.campaign = text_at(*reply, 2);
    auto state = parse_state(reply->elements[0].text);
    auto every = parse_interval(reply->elements[1].text);
    if (!state || !every) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    const auto plan = plan_provider_update(u, source, remember_for, out, *reply, *state, *every);
    std::vector<std::string_view> keys(plan.keys.begin(), plan.keys.end());
    std::vector<std::string_view> args(plan.args.begin(), plan.args.end());
    auto outcome = co_await redis_.run(provider_update_script, keys, args);
    if (!outcome) {
      co_return outcome.error();
    }
    auto parts = redis::as_string_array(*outcome);
    if (!parts || parts->empty()) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    const auto& verdict = parts->front();
    if (verdict == "applied") {
      out.what = provider_update_result::outcome::applied;
      out.before = *state;
      out.after = plan.after;
      out.reported = plan.counts;
      if (parts->size() > 1 && !(*parts)[1].empty()) {
        out.reported.emplace_back((*parts)[1], 1);
      }
      if (report_ != nullptr) {
        report_->count(out.reported);
      }
      co_return out;
    }
    if (verdict == "duplicate") {
      out.what = provider_update_result::outcome::duplicate;
      out.before = out.after = *state;
      co_return out;
    }
    if (verdict == "missing") {
      co_return out;
    }
    // "changed": another input moved the pledge on; ask the table again.
  }
  co_return make_error_code(redis::errc::overloaded);
}

awaitable<result<std::vector<bool>>> pledge_store::applied_events(
    const std::vector<std::string>& event_ids) {
  std::vector<bool> out;
  if (event_ids.empty()) {
    co_return out;
  }
  std::vector<std::string> keys;
  keys.reserve(event_ids.size());
  for (const auto& id : event_ids) {
    keys.push_back(key("seen", id));
  }
  std::vector<std::string_view> get = {"MGET"};
  get.insert(get.end(), keys.begin(), keys.end());
  auto reply = co_await redis_.command(get);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != event_ids.size()) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  out.reserve(event_ids.size());
  for (const auto& mark : reply->elements) {
    out.push_back(!mark.is_nil());
  }
  co_return out;
}

awaitable<result<void>> pledge_store::forget_reminder_reader(std::string_view id) {
  auto pledge_key = key("pledge", id);
  std::string_view drop[] = {"HDEL", pledge_key, pledge_field::reminder_reader};
  auto reply = co_await redis_.command(drop);
  if (!reply) {
    co_return reply.error();
  }
  co_return result<void>();
}

awaitable<result<bool>> pledge_store::confirm_address(std::string_view id,
                                                      std::string_view sealed_email,
                                                      std::string_view reader_hash) {
  auto pledge_key = key("pledge", id);
  auto reader_key = key("reader", reader_hash);
  const std::string_view keys[] = {pledge_key, reader_key};
  const std::string_view args[] = {sealed_email, id};
  co_return co_await redis_.run_for_flag(confirm_address_script, keys, args);
}

awaitable<result<std::int64_t>> pledge_store::erase_reader(std::string_view reader_hash) {
  const auto index = key("reader", reader_hash);
  const std::string_view list[] = {"SMEMBERS", index};
  auto members = co_await redis_.command(list);
  if (!members) {
    co_return members.error();
  }
  auto ids = redis::as_string_array(*members);
  if (!ids) {
    co_return ids.error();
  }
  std::vector<std::string> pledge_keys;
  pledge_keys.reserve(ids->size());
  for (const auto& id : *ids) {
    pledge_keys.push_back(key("pledge", id));
  }
  std::vector<std::string_view> keys = {index};
  keys.insert(keys.end(), pledge_keys.begin(), pledge_keys.end());
  const std::vector<std::string_view> args(ids->begin(), ids->end());
  auto erased = co_await redis_.run(erase_reader_script, keys, args);
  if (!erased) {
    co_return erased.error();
  }
  co_return redis::as_integer(*erased);
}

awaitable<result<recurring_stats>> pledge_store::stats() {
  const auto stats = stats_keys();
  std::string_view keys[] = {stats.active, stats.mrr, stats.reconciled};
  const std::span<const std::string_view> no_args;
  auto reply = co_await redis_.run(stats_script, keys, no_args);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != 3) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  auto active = as_counts(reply->elements[0]);
  auto mrr = as_counts(reply->elements[1]);
  auto reconciled = redis::as_optional_string(reply->elements[2]);
  if (!active || !mrr || !reconciled) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  recurring_stats out;
  out.totals.active = std::move(*active);
  out.totals.mrr_minor = std::move(*mrr);
  if (*reconciled) {
    out.reconciled_at_ms = to_int(**reconciled);
  }
  co_return out;
}

awaitable<result<reconciliation>> pledge_store::reconcile_stats(int attempts) {
  for (int attempt = 1;; ++attempt) {
    auto r = co_await reconcile_once();
    if (!r || r->what == reconciliation::outcome::replaced || attempt >= attempts) {
      if (r) {
        r->attempts = attempt;
      }
      co_return r;
    }
  }
}

awaitable<result<reconciliation>> pledge_store::reconcile_once() {
  const auto stats = stats_keys();
  // The version first: any change to the counts after this moment makes the sums below stale,
  // and the replacing script then refuses them.
  std::string_view get_version[] = {"GET", stats.version};
  auto version_reply = co_await redis_.command(get_version);
  if (!version_reply) {
    co_return version_reply.error();
  }
  auto version = redis::as_optional_string(*version_reply);
  if (!version) {
    co_return version.error();
  }
  const std::string read_at = version->value_or("0");

  reconciliation out;
  const auto pattern = redis::glob_escaped(key("pledge", "")) + "*";
  std::unordered_set<std::string> seen;  // SCAN may return a key twice
  std::string cursor = "0";
  do {
    auto page = co_await redis::scan_step(redis_, cursor, pattern, scan_batch);
    if (!page) {
      co_return page.error();
    }
    cursor = std::move(page->cursor);
    std::vector<std::string_view> pledges;
    for (const auto& k : page->keys) {
      if (!k.ends_with(":events") && seen.insert(k).second) {
        pledges.push_back(k);
      }
    }
    if (pledges.empty()) {
      continue;
    }
    const std::span<const std::string_view> no_args;
    auto fields = co_await redis_.run(read_pledges_script, pledges, no_args);
    if (!fields) {
      co_return fields.error();
    }
    if (fields->type != redis::reply::kind::array || fields->elements.size() != pledges.size()) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    for (const auto& p : fields->elements) {
      if (p.type != redis::reply::kind::array || p.elements.size() != 4) {
        co_return make_error_code(redis::errc::unexpected_reply);
      }
      if (p.elements[0].is_nil()) {
        continue;  // gone since the SCAN
      }
      ++out.scanned;
      auto state = parse_state(p.elements[0].text);
      auto every = parse_interval(p.elements[1].text);
      if (state && every) {
        out.totals.add(p.elements[3].text, *state, *every, to_int(p.elements[2].text));
      }
    }
  } while (cursor != "0");

  const auto now = std::to_string(core::now_unix_ms());
  std::vector<std::string> numbers;
  numbers.reserve(out.totals.active.size() * 2);
  std::vector<std::string_view> args = {read_at, now};
  for (const auto& [currency, count] : out.totals.active) {
    numbers.push_back(std::to_string(count));
    numbers.push_back(std::to_string(out.totals.mrr_minor[currency]));
  }
  std::size_t n = 0;
  for (const auto& [currency, count] : out.totals.active) {
    args.push_back(currency);
    args.push_back(numbers[n++]);
    args.push_back(numbers[n++]);
  }
  std::string_view keys[] = {stats.active, stats.mrr, stats.version, stats.reconciled};
  auto replaced = co_await redis_.run(replace_stats_script, keys, args);
  if (!replaced) {
    co_return replaced.error();
  }
  if (replaced->type != redis::reply::kind::array || replaced->elements.empty()) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  auto verdict = redis::as_string(replaced->elements[0]);
  if (!verdict) {
    co_return verdict.error();
  }
  if (*verdict == "changed") {
    out.what = reconciliation::outcome::kept_changing;
    co_return out;
  }
  if (*verdict != "replaced" || replaced->elements.size() != 3) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  auto active_before = as_counts(replaced->elements[1]);
  auto mrr_before = as_counts(replaced->elements[2]);
  if (!active_before || !mrr_before) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  out.before.active = std::move(*active_before);
  out.before.mrr_minor = std::move(*mrr_before);
  out.corrected = !out.totals.same_as(out.before);
  co_return out;
}

}  // namespace supportd::pledges

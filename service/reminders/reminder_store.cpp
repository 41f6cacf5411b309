#include "reminders/reminder_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iterator>
#include <unordered_map>
#include <unordered_set>

#include "core/clock.hpp"
#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "redis/key_scan.hpp"
#include "reminders/scripts.hpp"
#include "security/secrets.hpp"

namespace supportd::reminders {
namespace {

using boost::system::result;

// The scripts are reminders/scripts/*.lua, embedded by the build (cmake/embed_lua.cmake); the
// ones that read or write records begin with reminder_records.lua, which says where records live.
const redis::script replace_script{std::string(scripts::replace_reminders)};
const redis::script add_pending_script{std::string(scripts::add_pending)};
const redis::script claim_sends_script{std::string(scripts::claim_sends)};
const redis::script claim_script{std::string(scripts::claim_due)};
const redis::script load_script{std::string(scripts::load_reminders)};
const redis::script remove_script{std::string(scripts::remove_reminder)};
const redis::script rewrite_script{std::string(scripts::rewrite_reminder)};
const redis::script counts_script{std::string(scripts::count_reminders)};

// Shared attribution outlives the pending reminders pointing at it by this much (a delivery
// that keeps failing is retried for about three days).
constexpr std::chrono::milliseconds context_margin = std::chrono::hours(24 * 30);

// The most reminders one claim moves: bounds the script's run time and the reply's size.
constexpr std::size_t max_claim = 1000;

result<std::vector<stored_reminder>> parse_pairs(const redis::reply& r) {
  auto flat = redis::as_string_array(r);
  if (!flat) {
    return flat.error();
  }
  std::vector<stored_reminder> out;
  out.reserve(flat->size() / 2);
  for (std::size_t i = 0; i + 1 < flat->size(); i += 2) {
    stored_reminder s;
    s.id = std::move((*flat)[i]);
    s.bytes = std::move((*flat)[i + 1]);
    // A record that does not parse is still returned (with an empty value): the caller decides.
    s.value.ParseFromString(s.bytes);
    out.push_back(std::move(s));
  }
  return out;
}

// An array reply of `n` bulk strings or nils (GET-like answers, one per thing asked for).
result<std::vector<std::optional<std::string>>> optional_strings(const redis::reply& r,
                                                                 std::size_t n) {
  if (r.type != redis::reply::kind::array || r.elements.size() != n) {
    return make_error_code(redis::errc::unexpected_reply);
  }
  std::vector<std::optional<std::string>> out;
  out.reserve(n);
  for (const auto& element : r.elements) {
    auto bytes = redis::as_optional_string(element);
    if (!bytes) {
      return bytes.error();
    }
    out.push_back(std::move(*bytes));
  }
  return out;
}

// Whether a key's name after `<prefix>rem:` is a reminder id: not a bucket or shared attribution
// (`b:…`, `ctx:…`), nor the due, lease or dead set, which a pattern such as `rem:d*` matches too.
bool is_record_name(std::string_view name) {
  return name.find(':') == std::string_view::npos && name != "due" && name != "lease" &&
         name != "dead";
}

// The fields of a reminder that many readers share: what a sign-up says about where and how it
// was made, not who made it.
v1::Reminder shared_part(const v1::Reminder& r) {
  v1::Reminder shared;
  shared.set_campaign(r.campaign());
  shared.set_component(r.component());
  shared.set_variant(r.variant());
  shared.set_page_url(r.page_url());
  shared.set_locale(r.locale());
  shared.set_consent_version(r.consent_version());
  shared.set_time_zone(r.time_zone());
  return shared;
}

void clear_shared_part(v1::Reminder& r) {
  r.clear_campaign();
  r.clear_component();
  r.clear_variant();
  r.clear_page_url();
  r.clear_locale();
  r.clear_consent_version();
  r.clear_time_zone();
}

}  // namespace

reminder_store::reminder_store(redis::connection& redis, std::string_view prefix,
                               const reports::report_metrics* report)
    : redis_(redis),
      report_(report),
      prefix_(prefix),
      record_prefix_(prefix_ + "rem:"),
      due_key_(prefix_ + "rem:due"),
      lease_key_(prefix_ + "rem:lease"),
      dead_key_(prefix_ + "rem:dead") {}

std::string reminder_store::context_key(std::string_view context) const {
  return record_prefix_ + "ctx:" + security::base64url(context);
}

reminder_store::stored_form reminder_store::stored_form_of(const v1::Reminder& r,
                                                           const placement& where) const {
  stored_form out;
  // Only pending reminders share: a finished one keeps little, and a dead letter may wait for
  // an operator longer than any expiry we could choose.
  auto shared = shared_part(r).SerializeAsString();
  if (!where.due_ms || where.keep_for || shared.empty()) {
    out.record = r.SerializeAsString();
    return out;
  }
  v1::Reminder own = r;
  clear_shared_part(own);
  // 64 bits of hash: a collision needs billions of distinct contexts.
  own.set_context(security::sha256(shared).substr(0, 8));
  out.record = own.SerializeAsString();
  out.context_key = context_key(own.context());
  out.context = std::move(shared);
  out.context_ttl_ms =
      std::max<std::int64_t>(*where.due_ms - core::now_unix_ms(), 0) + context_margin.count();
  return out;
}

awaitable<result<void>> reminder_store::attach_contexts(std::span<stored_reminder> reminders) {
  std::vector<std::string> keys;
  for (const auto& r : reminders) {
    if (!r.value.context().empty()) {
      keys.push_back(context_key(r.value.context()));
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (keys.empty()) {
    co_return result<void>();
  }
  std::vector<std::string_view> mget = {"MGET"};
  mget.insert(mget.end(), keys.begin(), keys.end());
  auto reply = co_await redis_.command(mget);
  if (!reply) {
    co_return reply.error();
  }
  auto found = optional_strings(*reply, keys.size());
  if (!found) {
    co_return found.error();
  }
  std::unordered_map<std::string_view, v1::Reminder> contexts;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    v1::Reminder shared;
    if ((*found)[i] && shared.ParseFromString(*(*found)[i])) {
      contexts.emplace(keys[i], std::move(shared));
    }
  }
  for (auto& r : reminders) {
    if (r.value.context().empty()) {
      continue;
    }
    // Gone only if it outlived its margin unclaimed: the reminder is still sent, unattributed.
    if (auto it = contexts.find(context_key(r.value.context())); it != contexts.end()) {
      r.value.MergeFrom(it->second);
    }
  }
  co_return result<void>();
}

awaitable<result<std::vector<std::optional<std::string>>>> reminder_store::load(
    std::span<const std::string_view> ids) {
  if (ids.empty()) {
    co_return std::vector<std::optional<std::string>>{};
  }
  std::vector<std::string_view> args = {record_prefix_};
  args.insert(args.end(), ids.begin(), ids.end());
  auto reply = co_await redis_.run(load_script, {}, args);
  if (!reply) {
    co_return reply.error();
  }
  co_return optional_strings(*reply, ids.size());
}

awaitable<result<std::vector<stored_reminder>>> reminder_store::load_records(
    std::span<const std::string_view> ids) {
  auto loaded = co_await load(ids);
  if (!loaded) {
    co_return loaded.error();
  }
  std::vector<stored_reminder> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    stored_reminder s;
    s.id = std::string(ids[i]);
    if ((*loaded)[i] && s.value.ParseFromString(*(*loaded)[i])) {
      s.bytes = std::move(*(*loaded)[i]);
      out.push_back(std::move(s));
    }
  }
  co_return out;
}

awaitable<result<std::optional<stored_reminder>>> reminder_store::find(std::string_view id) {
  auto loaded = co_await load(std::span<const std::string_view>(&id, 1));
  if (!loaded) {
    co_return loaded.error();
  }
  if (!loaded->front()) {
    co_return std::optional<stored_reminder>{};
  }
  stored_reminder s;
  s.id = std::string(id);
  s.bytes = std::move(*loaded->front());
  if (!s.value.ParseFromString(s.bytes)) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  if (auto attached = co_await attach_contexts(std::span<stored_reminder>(&s, 1)); !attached) {
    co_return attached.error();
  }
  co_return std::optional<stored_reminder>(std::move(s));
}

std::array<std::string, 6> reminder_store::report_args(const reminder_change& c) const {
  std::array<std::string, 6> out;
  if (!c.counts) {
    return out;
  }
  const reports::report_group group{c.next.campaign(), c.next.component(), c.next.variant(), "",
                                    ""};
  const auto day = reports::day_of(c.counted_at_ms);
  out[0] = reports::day_key(prefix_, day);
  out[1] = std::to_string(reports::day_keep_seconds(c.counted_at_ms));
  out[2] = reports::counter_field(group, *c.counts);
  if (!c.delivered_to.empty()) {
    out[3] = reports::delivery_mark_key(prefix_, c.delivered_to);
    out[4] = reports::group_prefix(group);
    out[5] = std::to_string(std::chrono::milliseconds(reports::conversion_window).count());
  }
  return out;
}

awaitable<result<bool>> reminder_store::add_pending(std::string_view id,
                                                    const v1::Reminder& pending,
                                                    std::int64_t due_ms, std::int64_t now_ms) {
  placement where;
  where.due_ms = due_ms;
  auto form = stored_form_of(pending, where);
  auto due = std::to_string(due_ms);
  auto ttl = std::to_string(form.context_ttl_ms);
  reminder_change signed_up{std::string(id), std::nullopt, pending, where};
  signed_up.counts = reports::report_counter::reminders_signed_up;
  signed_up.counted_at_ms = now_ms;
  const auto report = report_args(signed_up);
  std::string_view keys[] = {due_key_};
  std::string_view args[] = {record_prefix_, id,  form.record, due,       form.context_key,
                             form.context,   ttl, report[0],   report[1], report[2]};
  auto added = co_await redis_.run_for_flag(add_pending_script, keys, args);
  if (added && *added && report_ != nullptr) {
    report_->count(report[2], 1);
  }
  co_return added;
}

awaitable<result<std::vector<bool>>> reminder_store::claim_sends(std::span<const send_claim> claims,
                                                                 std::int64_t now_ms,
                                                                 std::chrono::milliseconds window) {
  std::vector<bool> out;
  if (claims.empty()) {
    co_return out;
  }
  std::vector<std::string> keys;
  keys.reserve(claims.size());
  auto now = std::to_string(now_ms);
  auto window_ms = std::to_string(std::max<std::int64_t>(1, window.count()));
  std::vector<std::string_view> args = {now, window_ms};
  args.reserve(1 + claims.size() * 2);
  for (const auto& c : claims) {
    const auto& key = keys.emplace_back(record_prefix_ + "sent:" + c.key);
    args.push_back(key);
    args.push_back(c.holder);
  }
  auto reply = co_await redis_.run(claim_sends_script, {}, args);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != claims.size()) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  out.reserve(claims.size());
  for (const auto& element : reply->elements) {
    out.push_back(element.type == redis::reply::kind::integer && element.integer == 1);
  }
  co_return out;
}

awaitable<result<bool>> reminder_store::replace(reminder_change change) {
  auto written = co_await replace_all(std::span<const reminder_change>(&change, 1));
  if (!written) {
    co_return result<bool>(boost::system::in_place_error, written.error());
  }
  co_return written->front();
}

awaitable<result<std::vector<bool>>> reminder_store::replace_all(
    std::span<const reminder_change> changes) {
  std::vector<bool> out;
  if (changes.empty()) {
    co_return out;
  }
  // The argument strings live here while the views below point at them.
  std::vector<stored_form> forms;
  std::vector<std::string> texts;
  std::vector<std::array<std::string, 6>> reports;
  forms.reserve(changes.size());
  texts.reserve(changes.size() * 4);
  reports.reserve(changes.size());
  std::vector<std::string_view> args = {record_prefix_};
  args.reserve(1 + changes.size() * 16);
  for (const auto& c : changes) {
    const auto& where = c.where;
    const auto& form = forms.emplace_back(stored_form_of(c.next, where));
    auto& due = texts.emplace_back(where.due_ms ? std::to_string(*where.due_ms) : std::string());
    auto& keep = texts.emplace_back(
        where.keep_for ? std::to_string(std::max<std::int64_t>(1, where.keep_for->count()))
                       : std::string());
    auto& dead = texts.emplace_back(where.dead ? std::to_string(where.dead_at_ms) : std::string());
    auto& ttl = texts.emplace_back(std::to_string(form.context_ttl_ms));
    args.insert(args.end(), {c.id, c.expected ? "1" : "0",
                             c.expected ? std::string_view(*c.expected) : std::string_view(),
                             form.record, due, keep, dead, form.context_key, form.context, ttl});
    const auto& report = reports.emplace_back(report_args(c));
    args.insert(args.end(), report.begin(), report.end());
  }
  std::string_view keys[] = {due_key_, lease_key_, dead_key_};
  auto reply = co_await redis_.run(replace_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != changes.size()) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  out.reserve(changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& element = reply->elements[i];
    out.push_back(element.type == redis::reply::kind::integer && element.integer == 1);
    if (out.back() && report_ != nullptr && !reports[i][2].empty()) {
      report_->count(reports[i][2], 1);
    }
  }
  co_return out;
}

awaitable<result<std::vector<stored_reminder>>> reminder_store::claim(std::int64_t now_ms,
                                                                      std::int64_t lease_until_ms,
                                                                      std::size_t limit) {
  auto now = std::to_string(now_ms);
  auto until = std::to_string(lease_until_ms);
  auto count = std::to_string(std::clamp<std::size_t>(limit, 1, max_claim));
  std::string_view keys[] = {due_key_, lease_key_};
  std::string_view args[] = {record_prefix_, now, until, count};
  auto reply = co_await redis_.run(claim_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  auto claimed = parse_pairs(*reply);
  if (!claimed) {
    co_return claimed.error();
  }
  for (auto& r : *claimed) {
    r.lease_until_ms = lease_until_ms;
  }
  if (auto attached = co_await attach_contexts(*claimed); !attached) {
    co_return attached.error();
  }
  co_return claimed;
}

awaitable<result<std::vector<bool>>> reminder_store::still_leased(
    std::span<const stored_reminder> claimed) {
  std::vector<bool> out;
  if (claimed.empty()) {
    co_return out;
  }
  std::vector<std::string_view> args = {"ZMSCORE", lease_key_};
  args.reserve(2 + claimed.size());
  for (const auto& r : claimed) {
    args.push_back(r.id);
  }
  auto reply = co_await redis_.command(args);
  if (!reply) {
    co_return reply.error();
  }
  auto scores = optional_strings(*reply, claimed.size());
  if (!scores) {
    co_return scores.error();
  }
  out.reserve(claimed.size());
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    // Scores are whole milliseconds, exact in a double.
    double score = -1;
    if (const auto& text = (*scores)[i]) {
      std::from_chars(text->data(), text->data() + text->size(), score);
    }
    out.push_back(score == static_cast<double>(claimed[i].lease_until_ms));
  }
  co_return out;
}

awaitable<result<bool>> reminder_store::remove(std::string_view id) {
  std::string_view keys[] = {due_key_, lease_key_, dead_key_};
  std::string_view args[] = {record_prefix_, id};
  co_return co_await redis_.run_for_flag(remove_script, keys, args);
}

awaitable<result<std::vector<std::string>>> reminder_store::kept_ids_starting_with(
    std::string_view id_prefix) {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;  // HSCAN may return an entry twice
  if (id_prefix.size() < 2) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  const auto bucket = record_prefix_ + "b:" + std::string(id_prefix.substr(0, 2));
  const auto field_pattern = redis::glob_escaped(id_prefix) + "*";
  std::string cursor = "0";
  do {
    std::string_view hscan[] = {"HSCAN", bucket, cursor, "MATCH", field_pattern, "COUNT", "1000"};
    auto reply = co_await redis_.command(hscan);
    if (!reply) {
      co_return reply.error();
    }
    if (reply->type != redis::reply::kind::array || reply->elements.size() != 2) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    auto next = redis::as_string(reply->elements[0]);
    auto pairs = redis::as_string_array(reply->elements[1]);
    if (!next || !pairs) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    cursor = std::move(*next);
    for (std::size_t i = 0; i + 1 < pairs->size(); i += 2) {
      if (seen.insert((*pairs)[i]).second) {
        ids.push_back(std::move((*pairs)[i]));
      }
    }
  } while (cursor != "0");
  co_return ids;
}

awaitable<result<std::vector<std::string>>> reminder_store::ids_starting_with(
    std::string_view id_prefix) {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;  // SCAN and HSCAN may return an entry twice
  auto keep = [&](std::string id) {
    if (seen.insert(id).second) {
      ids.push_back(std::move(id));
    }
  };
  if (id_prefix.size() < 2) {
    // No one bucket holds them: the whole walk, filtered.
    std::string cursor = "0";
    do {
      auto page = co_await records_step(cursor);
      if (!page) {
        co_return page.error();
      }
      cursor = std::move(page->cursor);
      for (auto& r : page->records) {
        if (r.id.starts_with(id_prefix)) {
          keep(std::move(r.id));
        }
      }
    } while (cursor != "0");
    co_return ids;
  }
  // Kept reminders: in the prefix's bucket.
  auto kept = co_await kept_ids_starting_with(id_prefix);
  if (!kept) {
    co_return kept.error();
  }
  for (auto& id : *kept) {
    keep(std::move(id));
  }
  // Finished reminders: keys of their own.
  auto pattern = redis::glob_escaped(record_prefix_) + redis::glob_escaped(id_prefix) + "*";
  std::string cursor = "0";
  do {
    auto page = co_await redis::scan_step(redis_, cursor, pattern, "1000");
    if (!page) {
      co_return page.error();
    }
    cursor = std::move(page->cursor);
    for (auto& k : page->keys) {
      auto id = k.substr(record_prefix_.size());
      if (is_record_name(id)) {
        keep(std::move(id));
      }
    }
  } while (cursor != "0");
  co_return ids;
}

awaitable<result<reminder_store::record_page>> reminder_store::records_step(
    std::string_view cursor) {
  // A few keys a step: each bucket holds up to hundreds of reminders.
  auto page =
      co_await redis::scan_step(redis_, cursor, redis::glob_escaped(record_prefix_) + "*", "20");
  if (!page) {
    co_return page.error();
  }
  record_page out{std::move(page->cursor), {}};
  std::vector<std::string_view> own_keys;  // ids of reminders under keys of their own
  for (const auto& key : page->keys) {
    auto name = std::string_view(key).substr(record_prefix_.size());
    if (name.starts_with("b:")) {
      std::string_view all[] = {"HGETALL", key};
      auto reply = co_await redis_.command(all);
      if (!reply) {
        co_return reply.error();
      }
      auto records = parse_pairs(*reply);
      if (!records) {
        co_return records.error();
      }
      std::move(records->begin(), records->end(), std::back_inserter(out.records));
    } else if (is_record_name(name)) {
      own_keys.push_back(name);
    }
  }
  auto own = co_await load_records(own_keys);
  if (!own) {
    co_return own.error();
  }
  std::move(own->begin(), own->end(), std::back_inserter(out.records));
  co_return out;
}

awaitable<result<bool>> reminder_store::replace_sealed_email(const stored_reminder& read,
                                                             std::string sealed_email) {
  // The record as stored (its shared part stays apart), with only the address changed.
  v1::Reminder record;
  if (!record.ParseFromString(read.bytes)) {
    co_return result<bool>(boost::system::in_place_error,
                           make_error_code(redis::errc::unexpected_reply));
  }
  record.set_sealed_email(std::move(sealed_email));
  auto bytes = record.SerializeAsString();
  std::string_view args[] = {record_prefix_, read.id, read.bytes, bytes};
  co_return co_await redis_.run_for_flag(rewrite_script, {}, args);
}

awaitable<result<std::vector<stored_reminder>>> reminder_store::dead_letters(std::size_t limit) {
  auto stop = std::to_string(std::clamp<std::size_t>(limit, 1, max_claim) - 1);
  std::string_view range[] = {"ZRANGE", dead_key_, "0", stop};
  auto reply = co_await redis_.command(range);
  if (!reply) {
    co_return reply.error();
  }
  auto ids = redis::as_string_array(*reply);
  if (!ids) {
    co_return ids.error();
  }
  std::vector<std::string_view> views(ids->begin(), ids->end());
  auto letters = co_await load_records(views);
  if (!letters) {
    co_return letters.error();
  }
  if (auto attached = co_await attach_contexts(*letters); !attached) {
    co_return attached.error();
  }
  co_return letters;
}

awaitable<result<std::optional<bool>>> reminder_store::buckets_are_compact() {
  // A pending record is ~100 bytes; 4,096 buckets of 512 hold two million reminders.
  constexpr std::pair<std::string_view, std::int64_t> needed[] = {
      {"hash-max-listpack-value", 128}, {"hash-max-listpack-entries", 512}};
  for (auto [name, least] : needed) {
    std::string_view get[] = {"CONFIG", "GET", name};
    auto reply = co_await redis_.command(get);
    if (!reply) {
      co_return result<std::optional<bool>>(boost::system::in_place_error, reply.error());
    }
    auto pair = redis::as_string_array(*reply);
    std::int64_t value = 0;
    if (!pair || pair->size() != 2 ||
        std::from_chars((*pair)[1].data(), (*pair)[1].data() + (*pair)[1].size(), value).ec !=
            std::errc{}) {
      co_return std::optional<bool>{};
    }
    if (value < least) {
      co_return std::optional<bool>(false);
    }
  }
  co_return std::optional<bool>(true);
}

awaitable<result<reminder_counts>> reminder_store::counts(std::int64_t now_ms) {
  auto now = std::to_string(now_ms);
  std::string_view keys[] = {due_key_, lease_key_, dead_key_};
  std::string_view args[] = {now};
  auto reply = co_await redis_.run(counts_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != 4) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  std::int64_t values[4] = {};
  for (std::size_t i = 0; i < 4; ++i) {
    auto n = redis::as_integer(reply->elements[i]);
    if (!n) {
      co_return n.error();
    }
    values[i] = *n;
  }
  co_return reminder_counts{values[0], values[1], values[2], values[3]};
}

}  // namespace supportd::reminders

#include "reminders/reminder_store.hpp"

#include <algorithm>
#include <unordered_set>

#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "redis/key_scan.hpp"

namespace supportd::reminders {
namespace {

using boost::system::result;

// Reminder keys are derived from the ids given (here and in claim_script), so these scripts
// suit a single Redis (or a replicated one), not Redis Cluster.
const redis::script replace_script(R"lua(
-- KEYS: due set, lease set, dead set; ARGV[1]: reminder key prefix, then per change:
-- id, must exist (1/0), expected bytes, new bytes, due ms or '', keep ms or '', dead at ms or ''
local written = {}
for i = 2, #ARGV, 7 do
  local id = ARGV[i]
  local key = ARGV[1] .. id
  local current = redis.call('GET', key)
  local unchanged
  if ARGV[i + 1] == '0' then unchanged = not current else unchanged = current == ARGV[i + 2] end
  if unchanged then
    if ARGV[i + 5] ~= '' then
      redis.call('SET', key, ARGV[i + 3], 'PX', ARGV[i + 5])
    else
      redis.call('SET', key, ARGV[i + 3])
    end
    redis.call('ZREM', KEYS[2], id)
    if ARGV[i + 4] ~= '' then redis.call('ZADD', KEYS[1], ARGV[i + 4], id) else redis.call('ZREM', KEYS[1], id) end
    if ARGV[i + 6] ~= '' then redis.call('ZADD', KEYS[3], ARGV[i + 6], id) else redis.call('ZREM', KEYS[3], id) end
    written[#written + 1] = 1
  else
    written[#written + 1] = 0
  end
end
return written
)lua");

const redis::script put_pending_script(R"lua(
-- KEYS: due set, lease set, dead set; ARGV: reminder key prefix, id, bytes, due ms
local id = ARGV[2]
local was_pending = redis.call('ZSCORE', KEYS[1], id) or redis.call('ZSCORE', KEYS[2], id)
redis.call('SET', ARGV[1] .. id, ARGV[3])
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('ZADD', KEYS[1], ARGV[4], id)
if was_pending then return 1 end
return 0
)lua");

const redis::script claim_script(R"lua(
-- KEYS: due set, lease set; ARGV: now ms, lease until ms, limit, reminder key prefix
local limit = tonumber(ARGV[3])
-- Reminders whose scheduler died first: they have waited longest.
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, limit)
if #ids < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit - #ids)
  if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
  for _, id in ipairs(due) do ids[#ids + 1] = id end
end
local out = {}
for _, id in ipairs(ids) do
  local bytes = redis.call('GET', ARGV[4] .. id)
  if bytes then
    redis.call('ZADD', KEYS[2], ARGV[2], id)
    out[#out + 1] = id
    out[#out + 1] = bytes
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
)lua");

const redis::script remove_script(R"lua(
-- KEYS: reminder, due set, lease set, dead set; ARGV: id
local removed = redis.call('DEL', KEYS[1])
for i = 2, 4 do redis.call('ZREM', KEYS[i], ARGV[1]) end
return removed
)lua");

const redis::script counts_script(R"lua(
-- KEYS: due set, lease set, dead set; ARGV: now ms
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1]),
        redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3])}
)lua");

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

}  // namespace

reminder_store::reminder_store(redis::connection& redis, std::string_view prefix)
    : redis_(redis),
      prefix_(prefix),
      due_key_(prefix_ + "rem:due"),
      lease_key_(prefix_ + "rem:lease"),
      dead_key_(prefix_ + "rem:dead") {}

std::string reminder_store::key(std::string_view id) const {
  std::string k = prefix_;
  k += "rem:";
  k += id;
  return k;
}

awaitable<result<std::optional<stored_reminder>>> reminder_store::find(std::string_view id) {
  auto k = key(id);
  std::string_view get[] = {"GET", k};
  auto reply = co_await redis_.command(get);
  if (!reply) {
    co_return reply.error();
  }
  auto bytes = redis::as_optional_string(*reply);
  if (!bytes) {
    co_return bytes.error();
  }
  if (!*bytes) {
    co_return std::optional<stored_reminder>{};
  }
  stored_reminder s;
  s.id = std::string(id);
  s.bytes = std::move(**bytes);
  if (!s.value.ParseFromString(s.bytes)) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  co_return std::optional<stored_reminder>(std::move(s));
}

awaitable<result<bool>> reminder_store::put_pending(std::string_view id,
                                                    const v1::Reminder& pending,
                                                    std::int64_t due_ms) {
  auto key_prefix = prefix_ + "rem:";
  auto bytes = pending.SerializeAsString();
  auto due = std::to_string(due_ms);
  std::string_view keys[] = {due_key_, lease_key_, dead_key_};
  std::string_view args[] = {key_prefix, id, bytes, due};
  auto reply = co_await redis_.run(put_pending_script, keys, args);
  if (!reply) {
    co_return result<bool>(boost::system::in_place_error, reply.error());
  }
  auto replaced = redis::as_integer(*reply);
  if (!replaced) {
    co_return result<bool>(boost::system::in_place_error, replaced.error());
  }
  co_return *replaced == 1;
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
  std::vector<std::string> texts;
  texts.reserve(changes.size() * 4);
  auto key_prefix = prefix_ + "rem:";
  std::vector<std::string_view> args = {key_prefix};
  args.reserve(1 + changes.size() * 7);
  for (const auto& c : changes) {
    const auto& where = c.where;
    auto& bytes = texts.emplace_back(c.next.SerializeAsString());
    auto& due = texts.emplace_back(where.due_ms ? std::to_string(*where.due_ms) : std::string());
    auto& keep = texts.emplace_back(
        where.keep_for ? std::to_string(std::max<std::int64_t>(1, where.keep_for->count()))
                       : std::string());
    auto& dead = texts.emplace_back(where.dead ? std::to_string(where.dead_at_ms) : std::string());
    args.insert(args.end(), {c.id, c.expected ? "1" : "0",
                             c.expected ? std::string_view(*c.expected) : std::string_view(), bytes,
                             due, keep, dead});
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
  for (const auto& element : reply->elements) {
    out.push_back(element.type == redis::reply::kind::integer && element.integer == 1);
  }
  co_return out;
}

awaitable<result<std::vector<stored_reminder>>> reminder_store::claim(std::int64_t now_ms,
                                                                      std::int64_t lease_until_ms,
                                                                      std::size_t limit) {
  auto now = std::to_string(now_ms);
  auto until = std::to_string(lease_until_ms);
  auto count = std::to_string(std::clamp<std::size_t>(limit, 1, max_claim));
  auto key_prefix = prefix_ + "rem:";
  std::string_view keys[] = {due_key_, lease_key_};
  std::string_view args[] = {now, until, count, key_prefix};
  auto reply = co_await redis_.run(claim_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  co_return parse_pairs(*reply);
}

awaitable<result<std::vector<std::optional<std::string>>>> reminder_store::current(
    std::span<const stored_reminder> reminders) {
  std::vector<std::optional<std::string>> out;
  if (reminders.empty()) {
    co_return out;
  }
  std::vector<std::string> keys;
  keys.reserve(reminders.size());
  for (const auto& r : reminders) {
    keys.push_back(key(r.id));
  }
  std::vector<std::string_view> args = {"MGET"};
  args.insert(args.end(), keys.begin(), keys.end());
  auto reply = co_await redis_.command(args);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != reminders.size()) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  out.reserve(reminders.size());
  for (const auto& element : reply->elements) {
    auto bytes = redis::as_optional_string(element);
    if (!bytes) {
      co_return bytes.error();
    }
    out.push_back(std::move(*bytes));
  }
  co_return out;
}

awaitable<result<bool>> reminder_store::remove(std::string_view id) {
  auto k = key(id);
  std::string_view keys[] = {k, due_key_, lease_key_, dead_key_};
  std::string_view args[] = {id};
  auto reply = co_await redis_.run(remove_script, keys, args);
  if (!reply) {
    co_return result<bool>(boost::system::in_place_error, reply.error());
  }
  auto removed = redis::as_integer(*reply);
  if (!removed) {
    co_return result<bool>(boost::system::in_place_error, removed.error());
  }
  co_return *removed == 1;
}

awaitable<result<std::vector<std::string>>> reminder_store::ids_starting_with(
    std::string_view id_prefix) {
  auto key_prefix = prefix_ + "rem:";
  auto pattern = redis::glob_escaped(key_prefix) + redis::glob_escaped(id_prefix) + "*";
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;  // SCAN may return a key twice
  std::string cursor = "0";
  do {
    auto page = co_await redis::scan_step(redis_, cursor, pattern, "1000");
    if (!page) {
      co_return page.error();
    }
    cursor = std::move(page->cursor);
    for (auto& k : page->keys) {
      auto id = k.substr(key_prefix.size());
      if (seen.insert(id).second) {
        ids.push_back(std::move(id));
      }
    }
  } while (cursor != "0");
  co_return ids;
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
  std::vector<stored_reminder> letters;
  for (auto& id : *ids) {
    stored_reminder s;
    s.id = std::move(id);
    letters.push_back(std::move(s));
  }
  auto bytes = co_await current(letters);
  if (!bytes) {
    co_return bytes.error();
  }
  std::vector<stored_reminder> out;
  for (std::size_t i = 0; i < letters.size(); ++i) {
    if ((*bytes)[i] && letters[i].value.ParseFromString(*(*bytes)[i])) {
      letters[i].bytes = std::move(*(*bytes)[i]);
      out.push_back(std::move(letters[i]));
    }
  }
  co_return out;
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

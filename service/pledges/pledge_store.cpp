#include "pledges/pledge_store.hpp"

#include <charconv>

#include "redis/connection.hpp"
#include "redis/errc.hpp"

namespace supportd::pledges {
namespace {

using boost::system::result;

const redis::script reserve_script(R"lua(
-- KEYS[1] idempotency key; ARGV: request hash, new pledge id, claim ms
local found = redis.call('HMGET', KEYS[1], 'request', 'state', 'pledge_id', 'status', 'location', 'body')
if not found[1] then
  redis.call('HSET', KEYS[1], 'request', ARGV[1], 'state', 'claimed', 'pledge_id', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'reserved', ARGV[2]}
end
if found[1] ~= ARGV[1] then return {'conflict'} end
if found[2] == 'done' then return {'replay', found[4], found[5], found[6]} end
return {'in_progress', found[3]}
)lua");

const redis::script release_script(R"lua(
-- KEYS[1] idempotency key: drop a claim, never a saved answer
if redis.call('HGET', KEYS[1], 'state') == 'claimed' then redis.call('DEL', KEYS[1]) end
return 1
)lua");

const redis::script create_script(R"lua(
-- KEYS: pledge, its events, checkout index, idempotency key
-- ARGV: event, pledge id, session id, with key (1/0), status, location, body, kept ms, fields…
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
-- Only the request holding the claim answers under the key.
if ARGV[4] == '1' and redis.call('HGET', KEYS[4], 'pledge_id') ~= ARGV[2] then return 0 end
local fields = {}
for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('RPUSH', KEYS[2], ARGV[1])
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[2]) end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[4], 'state', 'done', 'status', ARGV[5], 'location', ARGV[6], 'body', ARGV[7])
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
end
return 1
)lua");

const redis::script transition_script(R"lua(
-- KEYS: pledge, its events; ARGV: expected state, new state, event, now ms
local state = redis.call('HGET', KEYS[1], 'status')
if not state then return 'missing' end
if state ~= ARGV[1] then return state end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updated_at_ms', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
return 'applied'
)lua");

const redis::script provider_update_script(R"lua(
-- KEYS: pledge, its events, the event's dedupe mark, the subscription index
-- ARGV: expected state, new state ('' unchanged), event, now ms, remember ms, subscription,
--       increment count, then field/amount pairs, then field/value pairs
if redis.call('EXISTS', KEYS[3]) == 1 then return {'duplicate'} end
local state = redis.call('HGET', KEYS[1], 'status')
if not state then return {'missing'} end
if state ~= ARGV[1] then return {'changed', state} end
local i = 8
for _ = 1, tonumber(ARGV[7]) do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local fields = {}
while i < #ARGV do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  i = i + 2
end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'status', ARGV[2]) end
redis.call('HSET', KEYS[1], 'updated_at_ms', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
if ARGV[6] ~= '' then redis.call('SET', KEYS[4], redis.call('HGET', KEYS[1], 'id')) end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
return {'applied'}
)lua");

constexpr auto kept_answer = std::chrono::hours(24);

std::int64_t to_int(const std::string& text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string encode_event(std::string_view event, std::string_view from, std::string_view to,
                         std::string_view source, std::string_view reference) {
  v1::PledgeEvent e;
  e.set_at_unix_ms(now_unix_ms());
  e.set_event(std::string(event));
  e.set_from_state(std::string(from));
  e.set_to_state(std::string(to));
  e.set_source(std::string(source));
  e.set_reference(std::string(reference));
  return e.SerializeAsString();
}

}  // namespace

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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
  const std::pair<std::string_view, std::string_view> fields[] = {
      {"id", p.id},
      {"status", to_string(p.status)},
      {"amount_minor", numbers[0]},
      {"currency", p.currency},
      {"interval", to_string(p.every)},
      {"payment_method", p.payment_method},
      {"campaign", p.source.campaign},
      {"component", p.source.component},
      {"page_url", p.source.page_url},
      {"referrer", p.source.referrer},
      {"country", p.source.country},
      {"locale", p.locale},
      {"created_at_ms", numbers[1]},
      {"updated_at_ms", numbers[1]},
      {"checkout_session_id", p.checkout_session_id},
      {"checkout_url", p.checkout_url},
      {"manage_token_sha256", p.manage_token_sha256},
  };
  for (const auto& [name, value] : fields) {
    args.push_back(name);
    args.push_back(value);
  }
  std::string_view keys[] = {pledge_key, events_key, index_key, answer_key};
  auto reply = co_await redis_.run(create_script, keys, args);
  if (!reply) {
    co_return result<bool>(boost::system::in_place_error, reply.error());
  }
  auto created = redis::as_integer(*reply);
  if (!created) {
    co_return result<bool>(boost::system::in_place_error, created.error());
  }
  co_return *created == 1;
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
    if (name == "id")
      p.id = value;
    else if (name == "status")
      p.status = parse_state(value).value_or(pledge_state::pending);
    else if (name == "amount_minor")
      p.amount_minor = to_int(value);
    else if (name == "currency")
      p.currency = value;
    else if (name == "interval")
      p.every = parse_interval(value).value_or(interval::once);
    else if (name == "payment_method")
      p.payment_method = value;
    else if (name == "campaign")
      p.source.campaign = value;
    else if (name == "component")
      p.source.component = value;
    else if (name == "page_url")
      p.source.page_url = value;
    else if (name == "referrer")
      p.source.referrer = value;
    else if (name == "country")
      p.source.country = value;
    else if (name == "locale")
      p.locale = value;
    else if (name == "created_at_ms")
      p.created_at_ms = to_int(value);
    else if (name == "updated_at_ms")
      p.updated_at_ms = to_int(value);
    else if (name == "checkout_session_id")
      p.checkout_session_id = value;
    else if (name == "checkout_url")
      p.checkout_url = value;
    else if (name == "subscription_id")
      p.subscription_id = value;
    else if (name == "manage_token_sha256")
      p.manage_token_sha256 = value;
    else if (name == "charges_succeeded")
      p.charges_succeeded = to_int(value);
    else if (name == "total_given_minor")
      p.total_given_minor = to_int(value);
    else if (name == "last_charge_at_ms")
      p.last_charge_at_ms = to_int(value);
    else if (name == "next_charge_at_ms")
      p.next_charge_at_ms = to_int(value);
    else if (name == "consecutive_failures")
      p.consecutive_failures = to_int(value);
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
  std::string_view read[] = {"HMGET", pledge_key, "status", "interval"};
  auto reply = co_await redis_.command(read);
  // A few rounds at most: each lost race means another input was applied in between.
  for (int round = 0; round < 8; ++round) {
    if (!reply) {
      co_return reply.error();
    }
    if (reply->type != redis::reply::kind::array || reply->elements.size() != 2 ||
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
    auto now = std::to_string(now_unix_ms());
    std::string_view keys[] = {pledge_key, events_key};
    std::string_view args[] = {to_string(*state), to_string(*next), event, now};
    auto outcome = co_await redis_.run(transition_script, keys, args);
    if (!outcome) {
      co_return outcome.error();
    }
    auto text = redis::as_string(*outcome);
    if (!text) {
      co_return text.error();
    }
    if (*text == "applied") {
      co_return transition_result{transition_result::outcome::applied, *state, *next};
    }
    if (*text == "missing") {
      co_return transition_result{transition_result::outcome::missing, {}, {}};
    }
    reply = co_await redis_.command(read);
  }
  co_return make_error_code(redis::errc::overloaded);
}

awaitable<result<provider_update_result>> pledge_store::apply_provider_update(
    const provider_update& u, std::string_view source, std::chrono::milliseconds remember_for) {
  provider_update_result out;
  out.pledge_id = u.pledge_id;
  auto seen_key = key("seen", u.event_id);
  auto index_key = key("subscription", u.subscription_id);
  if (out.pledge_id.empty() && !u.subscription_id.empty()) {
    std::string_view get[] = {"GET", index_key};
    auto found = co_await redis_.command(get);
    if (!found) {
      co_return found.error();
    }
    auto id = redis::as_optional_string(*found);
    if (!id) {
      co_return id.error();
    }
    out.pledge_id = id->value_or("");
  }
  if (out.pledge_id.empty()) {
    co_return out;  // missing
  }
  auto pledge_key = key("pledge", out.pledge_id);
  auto events_key = pledge_key + ":events";
  std::string_view read[] = {"HMGET", pledge_key, "status", "interval"};
  for (int round = 0; round < 8; ++round) {
    auto reply = co_await redis_.command(read);
    if (!reply) {
      co_return reply.error();
    }
    if (reply->type != redis::reply::kind::array || reply->elements.size() != 2 ||
        reply->elements[0].is_nil()) {
      co_return out;  // missing
    }
    auto state = parse_state(reply->elements[0].text);
    auto every = parse_interval(reply->elements[1].text);
    if (!state || !every) {
      co_return make_error_code(redis::errc::unexpected_reply);
    }
    auto next = u.input ? next_state(*state, *u.input, *every) : std::nullopt;
    const auto after = next.value_or(*state);
    auto event = encode_event(u.input ? to_string(*u.input) : std::string_view("provider_update"),
                              to_string(*state), to_string(after), source, u.reference);
    auto now = std::to_string(now_unix_ms());
    auto remember = std::to_string(remember_for.count());
    auto increments = std::to_string(u.increments.size());
    std::vector<std::string> numbers;
    numbers.reserve(u.increments.size());
    for (const auto& [field, amount] : u.increments) {
      numbers.push_back(std::to_string(amount));
    }
    std::vector<std::string_view> args = {
        to_string(*state), next ? to_string(*next) : "", event, now, remember, u.subscription_id,
        increments};
    for (std::size_t i = 0; i < u.increments.size(); ++i) {
      args.push_back(u.increments[i].first);
      args.push_back(numbers[i]);
    }
    for (const auto& [field, value] : u.fields) {
      args.push_back(field);
      args.push_back(value);
    }
    std::string_view keys[] = {pledge_key, events_key, seen_key, index_key};
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
      out.after = after;
      co_return out;
    }
    if (verdict == "duplicate") {
      out.what = provider_update_result::outcome::duplicate;
      co_return out;
    }
    if (verdict == "missing") {
      co_return out;
    }
    // "changed": another input moved the pledge on; ask the table again.
  }
  co_return make_error_code(redis::errc::overloaded);
}

}  // namespace supportd::pledges

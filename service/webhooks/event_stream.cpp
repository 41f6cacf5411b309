#include "webhooks/event_stream.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <optional>

#include "core/clock.hpp"
#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "webhooks/scripts.hpp"

namespace supportd::webhooks {
namespace {

using boost::system::result;

// A stream entry [id, [field, value, …]] as a stream_entry; nullopt for a deleted one.
std::optional<stream_entry> to_entry(const redis::reply& r) {
  if (r.type != redis::reply::kind::array || r.elements.size() != 2 ||
      r.elements[1].type != redis::reply::kind::array) {
    return std::nullopt;
  }
  stream_entry e;
  e.id = r.elements[0].text;
  const auto& fields = r.elements[1].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const auto& name = fields[i].text;
    const auto& value = fields[i + 1].text;
    if (name == "event_id") {
      e.event_id = value;
    } else if (name == "type") {
      e.type = value;
    } else if (name == "body") {
      e.body = value;
    } else if (name == "received_ms") {
      std::from_chars(value.data(), value.data() + value.size(), e.received_ms);
    }
  }
  return e;
}

std::vector<stream_entry> to_entries(const redis::reply& list) {
  std::vector<stream_entry> out;
  for (const auto& item : list.elements) {
    if (auto e = to_entry(item)) {
      out.push_back(std::move(*e));
    }
  }
  return out;
}

result<void> ok_or(const redis::result& r) {
  if (!r) {
    return r.error();
  }
  if (r->is_error()) {
    return make_error_code(redis::errc::server_error);
  }
  return {};
}

// The scripts are webhooks/scripts/*.lua, embedded by the build (cmake/embed_lua.cmake).
const redis::script replay_script{std::string(scripts::replay_dead_letter)};
const redis::script append_script{std::string(scripts::append_event)};
const redis::script append_all_script{std::string(scripts::append_events)};
const redis::script trim_script{std::string(scripts::trim_acknowledged)};
const redis::script oldest_unprocessed_script{std::string(scripts::oldest_unprocessed)};

}  // namespace

event_stream::event_stream(redis::connection& redis, std::string_view prefix)
    : redis_(redis),
      stream_(std::string(prefix) + "stripe:events"),
      attempts_(std::string(prefix) + "stripe:attempts"),
      dead_(std::string(prefix) + "stripe:dead"),
      orphans_(std::string(prefix) + "stripe:orphans") {}

awaitable<result<bool>> event_stream::append(std::string_view event_id, std::string_view type,
                                             std::string_view body, std::int64_t max_backlog) {
  auto now = std::to_string(core::now_unix_ms());
  auto bound = std::to_string(std::max<std::int64_t>(max_backlog, 0));
  std::string_view keys[] = {stream_};
  std::string_view args[] = {bound, event_id, type, body, now};
  co_return co_await redis_.run_for_flag(append_script, keys, args);
}

awaitable<result<bool>> event_stream::append_all(std::span<const incoming_event> events,
                                                 std::int64_t max_backlog) {
  if (events.empty()) {
    co_return true;
  }
  const auto now = std::to_string(core::now_unix_ms());
  const auto bound = std::to_string(std::max<std::int64_t>(max_backlog, 0));
  std::vector<std::string_view> args = {bound, now};
  args.reserve(2 + events.size() * 3);
  for (const auto& e : events) {
    args.push_back(e.event_id);
    args.push_back(e.type);
    args.push_back(e.body);
  }
  std::string_view keys[] = {stream_};
  co_return co_await redis_.run_for_flag(append_all_script, keys, args);
}

awaitable<result<std::int64_t>> event_stream::trim_acknowledged() {
  std::string_view keys[] = {stream_};
  std::span<const std::string_view> no_args;
  auto r = co_await redis_.run(trim_script, keys, no_args);
  if (!r) {
    co_return r.error();
  }
  co_return redis::as_integer(*r);
}

awaitable<result<void>> event_stream::ensure_group() {
  std::string_view args[] = {"XGROUP", "CREATE", stream_, group, "0", "MKSTREAM"};
  auto r = co_await redis_.command(args);
  if (r && r->is_error() && r->text.starts_with("BUSYGROUP")) {
    co_return result<void>{};
  }
  co_return ok_or(r);
}

awaitable<result<std::vector<stream_entry>>> event_stream::read_new(std::string_view consumer,
                                                                    std::size_t count) {
  auto n = std::to_string(count);
  std::string_view args[] = {"XREADGROUP", "GROUP", group, consumer, "COUNT", n,
                             "STREAMS",    stream_, ">"};
  auto r = co_await redis_.command(args);
  if (!r) {
    co_return r.error();
  }
  if (r->is_nil()) {
    co_return std::vector<stream_entry>{};
  }
  if (r->is_error() && r->text.starts_with("NOGROUP")) {
    auto created = co_await ensure_group();
    if (!created) {
      co_return created.error();
    }
    co_return std::vector<stream_entry>{};
  }
  if (r->type != redis::reply::kind::array || r->elements.empty() ||
      r->elements[0].elements.size() != 2) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  co_return to_entries(r->elements[0].elements[1]);
}

awaitable<result<std::vector<stream_entry>>> event_stream::claim_stale(
    std::string_view consumer, std::chrono::milliseconds idle, std::size_t count) {
  auto idle_ms = std::to_string(idle.count());
  auto n = std::to_string(count);
  std::string_view args[] = {"XAUTOCLAIM", stream_, group, consumer, idle_ms, "0-0", "COUNT", n};
  auto r = co_await redis_.command(args);
  if (!r) {
    co_return r.error();
  }
  if (r->is_error()) {
    co_return std::vector<stream_entry>{};  // no group yet: nothing to claim
  }
  if (r->type != redis::reply::kind::array || r->elements.size() < 2) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  co_return to_entries(r->elements[1]);
}

awaitable<result<void>> event_stream::ack(std::string_view id) {
  std::string_view args[] = {"XACK", stream_, group, id};
  auto r = co_await redis_.command(args);
  // Done with: the body (which may hold an email) does not stay in Redis.
  std::string_view remove[] = {"XDEL", stream_, id};
  co_await redis_.command(remove);
  std::string_view forget[] = {"HDEL", attempts_, id};
  co_await redis_.command(forget);
  co_return ok_or(r);
}

awaitable<result<void>> event_stream::ack(const std::vector<std::string>& ids) {
  if (ids.empty()) {
    co_return result<void>{};
  }
  std::vector<std::string_view> acknowledge = {"XACK", stream_, group};
  std::vector<std::string_view> remove = {"XDEL", stream_};
  std::vector<std::string_view> forget = {"HDEL", attempts_};
  for (const auto& id : ids) {
    acknowledge.push_back(id);
    remove.push_back(id);
    forget.push_back(id);
  }
  auto r = co_await redis_.command(acknowledge);
  co_await redis_.command(remove);
  co_await redis_.command(forget);
  co_return ok_or(r);
}

awaitable<result<std::int64_t>> event_stream::count_failure(std::string_view id) {
  std::string_view args[] = {"HINCRBY", attempts_, id, "1"};
  auto r = co_await redis_.command(args);
  if (!r) {
    co_return r.error();
  }
  co_return redis::as_integer(*r);
}

awaitable<result<void>> event_stream::dead_letter(const stream_entry& e, std::string_view error,
                                                  std::int64_t attempts) {
  auto letter = boost::json::serialize(boost::json::object{{"id", e.id},
                                                           {"event_id", e.event_id},
                                                           {"type", e.type},
                                                           {"error", error},
                                                           {"attempts", attempts},
                                                           {"received_ms", e.received_ms},
                                                           {"body", e.body}});
  std::string_view args[] = {"HSET", dead_, e.id, letter};
  auto r = co_await redis_.command(args);
  if (!ok_or(r)) {
    co_return ok_or(r);
  }
  co_return co_await ack(e.id);
}

awaitable<result<void>> event_stream::keep_orphan(const stream_entry& e) {
  std::string_view push[] = {"RPUSH", orphans_, e.body};
  auto r = co_await redis_.command(push);
  std::string_view trim[] = {"LTRIM", orphans_, "-10000", "-1"};
  co_await redis_.command(trim);
  co_return ok_or(r);
}

awaitable<result<std::int64_t>> event_stream::backlog() {
  std::string_view args[] = {"XINFO", "GROUPS", stream_};
  auto r = co_await redis_.command(args);
  if (!r) {
    co_return r.error();
  }
  for (const auto& g : r->elements) {
    std::int64_t pending = 0;
    std::optional<std::int64_t> lag;
    bool ours = false;
    for (std::size_t i = 0; i + 1 < g.elements.size(); i += 2) {
      const auto& name = g.elements[i].text;
      const auto& value = g.elements[i + 1];
      ours |= name == "name" && value.text == group;
      if (name == "pending") {
        pending = value.integer;
      } else if (name == "lag" && !value.is_nil()) {
        lag = value.integer;
      }
    }
    if (ours && lag) {
      co_return pending + *lag;
    }
    if (ours) {
      // Redis cannot say the lag once an entry the group has not read yet was deleted (XINFO
      // GROUPS answers nil). Every entry still in the stream is then counted: processed entries
      // are deleted as they are acknowledged, so what remains is pending or unread.
      break;
    }
  }
  // No group yet (it is made when the first consumer starts), or its lag unknown: everything
  // in the stream is waiting.
  std::string_view length[] = {"XLEN", stream_};
  auto n = co_await redis_.command(length);
  if (!n) {
    co_return n.error();
  }
  co_return redis::as_integer(*n);
}

awaitable<result<event_stream::dead_letter_page>> event_stream::dead_letters(
    std::string_view cursor, std::size_t count) {
  const auto count_text = std::to_string(count);
  std::string_view args[] = {"HSCAN", dead_, cursor, "COUNT", count_text};
  auto r = co_await redis_.command(args);
  if (!r) {
    co_return r.error();
  }
  // [next cursor, [field, value, field, value, …]]
  if (r->type != redis::reply::kind::array || r->elements.size() != 2) {
    co_return redis::errc::unexpected_reply;
  }
  auto next = redis::as_string(r->elements[0]);
  auto flat = redis::as_string_array(r->elements[1]);
  if (!next || !flat) {
    co_return redis::errc::unexpected_reply;
  }
  dead_letter_page page{{}, std::move(*next)};
  for (std::size_t i = 0; i + 1 < flat->size(); i += 2) {
    page.letters.emplace_back((*flat)[i], (*flat)[i + 1]);
  }
  co_return page;
}

awaitable<result<std::int64_t>> event_stream::dead_letter_count() {
  std::string_view args[] = {"HLEN", dead_};
  auto r = co_await redis_.command(args);
  if (!r) {
    co_return r.error();
  }
  co_return redis::as_integer(*r);
}

awaitable<result<bool>> event_stream::replay(std::string_view id) {
  std::string_view get[] = {"HGET", dead_, id};
  auto r = co_await redis_.command(get);
  if (!r) {
    co_return result<bool>(boost::system::in_place_error, r.error());
  }
  if (r->is_nil()) {
    co_return false;
  }
  boost::system::error_code ec;
  auto letter = boost::json::parse(r->text, ec);
  if (ec || !letter.is_object()) {
    co_return result<bool>(boost::system::in_place_error,
                           make_error_code(redis::errc::unexpected_reply));
  }
  const auto& o = letter.as_object();
  auto text = [&](std::string_view k) -> std::string {
    auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string{};
  };
  auto event_id = text("event_id");
  auto type = text("type");
  auto body = text("body");
  auto now = std::to_string(core::now_unix_ms());
  std::string_view keys[] = {dead_, stream_};
  std::string_view args[] = {id, event_id, type, body, now};
  auto replayed = co_await redis_.run(replay_script, keys, args);
  if (!replayed) {
    co_return result<bool>(boost::system::in_place_error, replayed.error());
  }
  co_return replayed->integer == 1;
}

awaitable<result<std::int64_t>> event_stream::oldest_unprocessed_ms() {
  std::string_view keys[] = {stream_};
  std::string_view args[] = {group};
  auto r = co_await redis_.run(oldest_unprocessed_script, keys, args);
  if (!r) {
    co_return r.error();
  }
  co_return redis::as_integer(*r);
}

}  // namespace supportd::webhooks

#include "notify/outbox_store.hpp"

#include <charconv>
#include <deque>

#include "notify/scripts.hpp"
#include "redis/connection.hpp"
#include "redis/errc.hpp"
#include "redis/reply.hpp"
#include "redis/script.hpp"

namespace supportd::notify {
namespace {

using boost::system::result;

const redis::script claim_script{std::string(scripts::claim_messages)};
const redis::script settle_script{std::string(scripts::settle_messages)};
const redis::script replay_script{std::string(scripts::replay_message)};
const redis::script counts_script{std::string(scripts::count_messages)};
const redis::script dead_letters_script{std::string(scripts::list_dead_messages)};

std::int64_t number(std::string_view text) {
  std::int64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

std::string_view outcome_name(message_outcome::kind k) {
  switch (k) {
    case message_outcome::kind::done:
      return "done";
    case message_outcome::kind::retry:
      return "retry";
    case message_outcome::kind::dead:
      return "dead";
  }
  return "retry";  // cannot happen; a retry loses nothing
}

}  // namespace

outbox_store::outbox_store(redis::connection& redis, std::string_view prefix)
    : redis_(redis), keys_(outbox_keys::under(prefix)) {}

awaitable<result<std::vector<claimed_message>>> outbox_store::claim(std::int64_t now_ms,
                                                                    std::int64_t lease_until_ms,
                                                                    std::size_t limit) {
  const auto now = std::to_string(now_ms);
  const auto until = std::to_string(lease_until_ms);
  const auto count = std::to_string(limit);
  const std::string_view keys[] = {keys_.due, keys_.lease, keys_.items, keys_.failures};
  const std::string_view args[] = {now, until, count};
  auto reply = co_await redis_.run(claim_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  auto flat = redis::as_string_array(*reply);
  if (!flat || flat->size() % 3 != 0) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  std::vector<claimed_message> out;
  out.reserve(flat->size() / 3);
  for (std::size_t i = 0; i < flat->size(); i += 3) {
    claimed_message m{std::move((*flat)[i]), std::move((*flat)[i + 1]), 0, lease_until_ms};
    const auto& failed = (*flat)[i + 2];
    std::from_chars(failed.data(), failed.data() + failed.size(), m.failed_attempts);
    out.push_back(std::move(m));
  }
  co_return out;
}

awaitable<result<std::int64_t>> outbox_store::settle(const std::vector<message_outcome>& done,
                                                     std::int64_t now_ms) {
  if (done.empty()) {
    co_return 0;
  }
  std::deque<std::string> numbers;  // the views below point into it: a deque keeps them put
  std::vector<std::string_view> args;
  args.reserve(2 + 6 * done.size());
  numbers.push_back(std::to_string(now_ms));
  args.push_back(numbers.back());
  numbers.push_back(std::to_string(done.size()));
  args.push_back(numbers.back());
  for (const auto& m : done) {
    args.push_back(m.id);
    numbers.push_back(std::to_string(m.lease_until_ms));
    args.push_back(numbers.back());
    args.push_back(outcome_name(m.what));
    numbers.push_back(std::to_string(m.when_ms));
    args.push_back(numbers.back());
    numbers.push_back(std::to_string(m.failed_attempts));
    args.push_back(numbers.back());
    args.push_back(m.error);
  }
  const std::string_view keys[] = {keys_.due,      keys_.lease, keys_.items,
                                   keys_.failures, keys_.dead,  keys_.errors};
  auto reply = co_await redis_.run(settle_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  co_return redis::as_integer(*reply);
}

awaitable<result<outbox_counts>> outbox_store::counts(std::int64_t now_ms) {
  const auto now = std::to_string(now_ms);
  const std::string_view keys[] = {keys_.due, keys_.lease, keys_.dead};
  const std::string_view args[] = {now};
  auto reply = co_await redis_.run(counts_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != 4) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  std::int64_t n[4] = {};
  for (std::size_t i = 0; i < 4; ++i) {
    auto value = redis::as_integer(reply->elements[i]);
    if (!value) {
      co_return value.error();
    }
    n[i] = *value;
  }
  co_return outbox_counts{n[0], n[1], n[2], n[3]};
}

awaitable<result<std::vector<dead_message>>> outbox_store::dead_letters(std::size_t limit) {
  const auto count = std::to_string(limit);
  const std::string_view keys[] = {keys_.dead, keys_.failures, keys_.errors};
  const std::string_view args[] = {count};
  auto reply = co_await redis_.run(dead_letters_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  auto flat = redis::as_string_array(*reply);
  if (!flat || flat->size() % 4 != 0) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  std::vector<dead_message> out;
  out.reserve(flat->size() / 4);
  for (std::size_t i = 0; i < flat->size(); i += 4) {
    out.push_back({std::move((*flat)[i]), number((*flat)[i + 1]),
                   static_cast<int>(number((*flat)[i + 2])), std::move((*flat)[i + 3])});
  }
  co_return out;
}

awaitable<result<bool>> outbox_store::replay(std::string_view id, std::int64_t now_ms) {
  const auto now = std::to_string(now_ms);
  const std::string_view keys[] = {keys_.due, keys_.dead, keys_.failures, keys_.errors};
  const std::string_view args[] = {id, now};
  co_return co_await redis_.run_for_flag(replay_script, keys, args);
}

}  // namespace supportd::notify

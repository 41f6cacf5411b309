#include "reconcile/reconcile_store.hpp"

#include <array>
#include <charconv>
#include <map>
#include <vector>

#include "reconcile/scripts.hpp"
#include "redis/connection.hpp"
#include "redis/errc.hpp"

namespace supportd::reconcile {
namespace {

using boost::system::result;

constexpr std::array outcome_names = {
    "ok",           "provider_unavailable", "provider_rejected", "store_unavailable",
    "backlog_full", "lease_lost",           "stopped",           "stuck"};

// The scripts are reconcile/scripts/*.lua, embedded by the build (cmake/embed_lua.cmake).
const redis::script start_script{std::string(scripts::start_run)};
const redis::script renew_script{std::string(scripts::renew_lease)};
const redis::script advance_script{std::string(scripts::advance_checkpoint)};
const redis::script finish_script{std::string(scripts::finish_run)};
const redis::script status_script{std::string(scripts::run_status)};

std::int64_t to_int(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::optional<std::int64_t> optional_int(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  return to_int(text);
}

}  // namespace

std::string_view to_string(run_outcome o) {
  return outcome_names[static_cast<std::size_t>(o)];
}

std::optional<run_outcome> parse_run_outcome(std::string_view text) {
  for (std::size_t i = 0; i < outcome_names.size(); ++i) {
    if (text == outcome_names[i]) {
      return static_cast<run_outcome>(i);
    }
  }
  return std::nullopt;
}

reconcile_store::reconcile_store(redis::connection& redis, std::string_view prefix)
    : redis_(redis),
      state_(std::string(prefix) + "stripe:reconcile"),
      lease_(std::string(prefix) + "stripe:reconcile:lease") {}

awaitable<result<start_attempt>> reconcile_store::try_start(std::string_view token,
                                                            std::int64_t now_ms,
                                                            std::chrono::milliseconds lease,
                                                            std::chrono::milliseconds min_gap) {
  const std::string numbers[] = {std::to_string(now_ms), std::to_string(lease.count()),
                                 std::to_string(min_gap.count())};
  std::string_view keys[] = {state_, lease_};
  std::string_view args[] = {token, numbers[0], numbers[1], numbers[2]};
  auto reply = co_await redis_.run(start_script, keys, args);
  if (!reply) {
    co_return reply.error();
  }
  auto parts = redis::as_string_array(*reply);
  if (!parts || parts->size() != 3) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  const auto& v = *parts;
  start_attempt out;
  if (v[0] == "started") {
    out.what = start_attempt::outcome::started;
  } else if (v[0] == "busy") {
    out.what = start_attempt::outcome::busy;
  } else if (v[0] == "not_due") {
    out.what = start_attempt::outcome::not_due;
  } else {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  out.checkpoint = optional_int(v[1]);
  out.last_started_ms = to_int(v[2]);
  co_return out;
}

awaitable<result<bool>> reconcile_store::renew(std::string_view token,
                                               std::chrono::milliseconds lease) {
  const auto ms = std::to_string(lease.count());
  std::string_view keys[] = {lease_};
  std::string_view args[] = {token, ms};
  co_return co_await redis_.run_for_flag(renew_script, keys, args);
}

awaitable<result<bool>> reconcile_store::advance_checkpoint(std::string_view token,
                                                            std::int64_t checkpoint) {
  const auto value = std::to_string(checkpoint);
  std::string_view keys[] = {state_, lease_};
  std::string_view args[] = {token, value};
  co_return co_await redis_.run_for_flag(advance_script, keys, args);
}

awaitable<result<bool>> reconcile_store::finish(std::string_view token, const run_report& r) {
  const std::pair<std::string_view, std::string> fields[] = {
      {"last_trigger", r.trigger},
      {"last_outcome", std::string(to_string(r.outcome))},
      {"last_started_at_ms", std::to_string(r.started_at_ms)},
      {"last_finished_at_ms", std::to_string(r.finished_at_ms)},
      {"last_since", std::to_string(r.since)},
      {"last_first_run", r.first_run ? "1" : "0"},
      {"last_checkpoint_expired", r.checkpoint_expired ? "1" : "0"},
      {"last_passes", std::to_string(r.passes)},
      {"last_pages", std::to_string(r.pages)},
      {"last_listed", std::to_string(r.listed)},
      {"last_fed", std::to_string(r.fed)},
      {"last_already_applied", std::to_string(r.already_applied)},
      {"last_ignored", std::to_string(r.ignored)},
      {"last_checkpoint", std::to_string(r.checkpoint)},
  };
  std::vector<std::string_view> args = {token};
  for (const auto& [name, value] : fields) {
    args.push_back(name);
    args.push_back(value);
  }
  std::string_view keys[] = {state_, lease_};
  co_return co_await redis_.run_for_flag(finish_script, keys, args);
}

awaitable<result<reconcile_status>> reconcile_store::status() {
  std::string_view keys[] = {state_, lease_};
  const std::span<const std::string_view> no_args;
  auto reply = co_await redis_.run(status_script, keys, no_args);
  if (!reply) {
    co_return reply.error();
  }
  if (reply->type != redis::reply::kind::array || reply->elements.size() != 2) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  auto running = redis::as_integer(reply->elements[0]);
  auto flat = redis::as_string_array(reply->elements[1]);
  if (!running || !flat) {
    co_return make_error_code(redis::errc::unexpected_reply);
  }
  std::map<std::string, std::string, std::less<>> f;
  for (std::size_t i = 0; i + 1 < flat->size(); i += 2) {
    f[(*flat)[i]] = (*flat)[i + 1];
  }
  auto text = [&](std::string_view name) {
    auto it = f.find(name);
    return it == f.end() ? std::string() : it->second;
  };
  reconcile_status out;
  out.running = *running == 1;
  out.last_started_ms = to_int(text("last_started_ms"));
  out.checkpoint = optional_int(text("checkpoint"));
  if (auto outcome = parse_run_outcome(text("last_outcome"))) {
    run_report r;
    r.trigger = text("last_trigger");
    r.outcome = *outcome;
    r.started_at_ms = to_int(text("last_started_at_ms"));
    r.finished_at_ms = to_int(text("last_finished_at_ms"));
    r.since = to_int(text("last_since"));
    r.first_run = text("last_first_run") == "1";
    r.checkpoint_expired = text("last_checkpoint_expired") == "1";
    r.passes = to_int(text("last_passes"));
    r.pages = to_int(text("last_pages"));
    r.listed = to_int(text("last_listed"));
    r.fed = to_int(text("last_fed"));
    r.already_applied = to_int(text("last_already_applied"));
    r.ignored = to_int(text("last_ignored"));
    r.checkpoint = to_int(text("last_checkpoint"));
    out.last = std::move(r);
  }
  co_return out;
}

}  // namespace supportd::reconcile

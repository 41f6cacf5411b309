// service/reconcile/scripts/*.lua alone against a real redis-server: known KEYS and ARGV in, the
// reply and every key in Redis out, refusals included (a refusal writes nothing).
#include <gtest/gtest.h>

#include "reconcile/scripts.hpp"
#include "support/script_table.hpp"

namespace supportd::reconcile {
namespace {

using ReconcileScripts = test::script_test;
using strings = std::vector<std::string>;

constexpr auto state = "stripe:reconcile";
constexpr auto lease = "stripe:reconcile:lease";

TEST_F(ReconcileScripts, StartRun) {
  const strings ran_before = {"HSET",         state, "checkpoint", "123", "last_started_ms",
                              "1699999000000"};
  check(scripts::start_run,
        {
            {.name = "the first run starts: the lease taken, the start recorded",
             .keys = {state, lease},
             .args = {"tok", "1700000000000", "60000", "3600000"},
             .reply = R"(["started", "", "1700000000000"])",
             .after = {{state, "{last_started_ms=1700000000000}"}, {lease, "tok ttl=60s"}}},
            {.name = "a run holds the lease: busy, nothing written",
             .given = {ran_before, {"SET", lease, "other", "PX", "30000"}},
             .keys = {state, lease},
             .args = {"tok", "1700000000000", "60000", "0"},
             .reply = R"(["busy", "123", "1699999000000"])",
             .after = {{state, "{checkpoint=123, last_started_ms=1699999000000}"},
                       {lease, "other ttl=30s"}}},
            {.name = "the last run started within the gap: not due, nothing written",
             .given = {ran_before},
             .keys = {state, lease},
             .args = {"tok", "1700000000000", "60000", "1000001"},
             .reply = R"(["not_due", "123", "1699999000000"])",
             .after = {{state, "{checkpoint=123, last_started_ms=1699999000000}"}}},
            {.name = "the gap has passed: started from the checkpoint",
             .given = {ran_before},
             .keys = {state, lease},
             .args = {"tok", "1700000000000", "60000", "1000000"},
             .reply = R"(["started", "123", "1700000000000"])",
             .after = {{state, "{checkpoint=123, last_started_ms=1700000000000}"},
                       {lease, "tok ttl=60s"}}},
            {.name = "no gap asked (an operator's run): started however recent the last",
             .given = {{"HSET", state, "last_started_ms", "1699999999999"}},
             .keys = {state, lease},
             .args = {"tok", "1700000000000", "60000", "0"},
             .reply = R"(["started", "", "1700000000000"])",
             .after = {{state, "{last_started_ms=1700000000000}"}, {lease, "tok ttl=60s"}}},
        });
}

TEST_F(ReconcileScripts, RenewLease) {
  check(scripts::renew_lease, {
                                  {.name = "held: extended",
                                   .given = {{"SET", lease, "tok", "PX", "10000"}},
                                   .keys = {lease},
                                   .args = {"tok", "60000"},
                                   .reply = "1",
                                   .after = {{lease, "tok ttl=60s"}}},
                                  {.name = "another run's: lost, nothing changed",
                                   .given = {{"SET", lease, "other", "PX", "10000"}},
                                   .keys = {lease},
                                   .args = {"tok", "60000"},
                                   .reply = "0",
                                   .after = {{lease, "other ttl=10s"}}},
                                  {.name = "expired: lost, not taken back",
                                   .keys = {lease},
                                   .args = {"tok", "60000"},
                                   .reply = "0",
                                   .after = {}},
                              });
}

TEST_F(ReconcileScripts, AdvanceCheckpoint) {
  const strings held = {"SET", lease, "tok"};
  check(scripts::advance_checkpoint,
        {
            {.name = "the first checkpoint",
             .given = {held},
             .keys = {state, lease},
             .args = {"tok", "100"},
             .reply = "1",
             .after = {{state, "{checkpoint=100}"}, {lease, "tok"}}},
            {.name = "forward",
             .given = {held, {"HSET", state, "checkpoint", "100"}},
             .keys = {state, lease},
             .args = {"tok", "200"},
             .reply = "1",
             .after = {{state, "{checkpoint=200}"}, {lease, "tok"}}},
            {.name = "never back (compared as numbers: 99 is before 100)",
             .given = {held, {"HSET", state, "checkpoint", "100"}},
             .keys = {state, lease},
             .args = {"tok", "99"},
             .reply = "1",
             .after = {{state, "{checkpoint=100}"}, {lease, "tok"}}},
            {.name = "the lease lost: nothing written",
             .given = {{"SET", lease, "other"}, {"HSET", state, "checkpoint", "100"}},
             .keys = {state, lease},
             .args = {"tok", "200"},
             .reply = "0",
             .after = {{state, "{checkpoint=100}"}, {lease, "other"}}},
        });
}

TEST_F(ReconcileScripts, FinishRun) {
  check(scripts::finish_run,
        {
            {.name = "held: the lease given back, the report written beside the checkpoint",
             .given = {{"SET", lease, "tok"}, {"HSET", state, "checkpoint", "100"}},
             .keys = {state, lease},
             .args = {"tok", "last_outcome", "ok", "last_fed", "3"},
             .reply = "1",
             .after = {{state, "{checkpoint=100, last_fed=3, last_outcome=ok}"}}},
            {.name = "the lease lost: nothing written",
             .given = {{"SET", lease, "other"}, {"HSET", state, "checkpoint", "100"}},
             .keys = {state, lease},
             .args = {"tok", "last_outcome", "ok", "last_fed", "3"},
             .reply = "0",
             .after = {{state, "{checkpoint=100}"}, {lease, "other"}}},
        });
}

TEST_F(ReconcileScripts, RunStatus) {
  check(scripts::run_status,
        {
            {.name = "never run", .keys = {state, lease}, .reply = "[0, []]", .after = {}},
            {.name = "running, with the state so far",
             .given = {{"SET", lease, "tok"},
                       {"HSET", state, "checkpoint", "100", "last_started_ms", "1700000000000"}},
             .keys = {state, lease},
             .reply = R"([1, ["checkpoint", "100", "last_started_ms", "1700000000000"]])",
             .after = {{state, "{checkpoint=100, last_started_ms=1700000000000}"}, {lease, "tok"}}},
        });
}

}  // namespace
}  // namespace supportd::reconcile

// service/notify/scripts/*.lua alone against a real redis-server: the outbound messages' queue
// (notify/outbox.hpp) claimed under a lease, settled, and replayed.
#include <gtest/gtest.h>

#include "notify/scripts.hpp"
#include "support/script_table.hpp"

namespace supportd::notify {
namespace {

using OutboxScripts = test::script_test;
using strings = std::vector<std::string>;

constexpr auto due = "msg:due";
constexpr auto lease = "msg:lease";
constexpr auto items = "msg:items";
constexpr auto failures = "msg:failures";
constexpr auto dead = "msg:dead";
constexpr auto errors = "msg:errors";

const strings two_queued_one_later = {"ZADD", due, "1000", "a", "2000", "b", "9000", "c"};
const strings their_items = {"HSET", items, "a", "text a", "b", "text b", "c", "text c"};

TEST_F(OutboxScripts, ClaimMessages) {
  const strings keys = {due, lease, items, failures};
  check(scripts::claim_messages,
        {
            {.name = "nothing queued, nothing claimed",
             .keys = keys,
             .args = {"5000", "65000", "10"},
             .reply = "[]",
             .after = {}},
            {.name = "what is due is leased, oldest first, with its failed attempts; what is "
                     "not due yet stays",
             .given = {two_queued_one_later, their_items, {"HSET", failures, "b", "2"}},
             .keys = keys,
             .args = {"5000", "65000", "10"},
             .reply = R"(["a", "text a", "0", "b", "text b", "2"])",
             .after = {{due, "{c:9000}"},
                       {lease, "{a:65000, b:65000}"},
                       {items, "{a=text a, b=text b, c=text c}"},
                       {failures, "{b=2}"}}},
            {.name = "a lease that ran out is taken over before anything due; the limit holds",
             .given = {two_queued_one_later,
                       their_items,
                       {"ZADD", lease, "4000", "d"},
                       {"HSET", items, "d", "text d"}},
             .keys = keys,
             .args = {"5000", "65000", "2"},
             .reply = R"(["d", "text d", "0", "a", "text a", "0"])",
             .after = {{due, "{b:2000, c:9000}"},
                       {lease, "{a:65000, d:65000}"},
                       {items, "{a=text a, b=text b, c=text c, d=text d}"}}},
            {.name = "an id without its item is dropped",
             .given = {{"ZADD", due, "1000", "gone"}},
             .keys = keys,
             .args = {"5000", "65000", "10"},
             .reply = "[]",
             .after = {}},
        });
}

TEST_F(OutboxScripts, SettleMessages) {
  const strings keys = {due, lease, items, failures, dead, errors};
  const strings leased = {"ZADD", lease, "65000", "a", "65000", "b", "65000", "c"};
  const strings items_abc = {"HSET", items, "a", "text a", "b", "text b", "c", "text c"};
  check(scripts::settle_messages,
        {
            {.name = "sent: gone; failed: due again with its attempts and error; dead: kept for a "
                     "replay",
             .given = {leased, items_abc, {"HSET", failures, "a", "1"}},
             .keys = keys,
             .args = {"6000", "3",                                           //
                      "a",    "65000", "done",  "0",     "0",  "",           //
                      "b",    "65000", "retry", "11000", "1",  "503",        //
                      "c",    "65000", "dead",  "0",     "10", "410 Gone"},  //
             .reply = "3",
             .after = {{due, "{b:11000}"},
                       {items, "{b=text b, c=text c}"},
                       {failures, "{b=1, c=10}"},
                       {dead, "{c:6000}"},
                       {errors, "{b=503, c=410 Gone}"}}},
            {.name = "a message whose lease was taken over (another score) is not the sender's "
                     "to settle",
             .given = {{"ZADD", lease, "125000", "a"}, {"HSET", items, "a", "text a"}},
             .keys = keys,
             .args = {"6000", "1", "a", "65000", "done", "0", "0", ""},
             .reply = "0",
             .after = {{lease, "{a:125000}"}, {items, "{a=text a}"}}},
        });
}

TEST_F(OutboxScripts, ReplayMessage) {
  const strings keys = {due, dead, failures, errors};
  check(scripts::replay_message, {
                                     {.name = "a dead letter is due now, its failures forgotten",
                                      .given = {{"ZADD", dead, "6000", "c"},
                                                {"HSET", items, "c", "text c"},
                                                {"HSET", failures, "c", "10"},
                                                {"HSET", errors, "c", "410 Gone"}},
                                      .keys = keys,
                                      .args = {"c", "7000"},
                                      .reply = "1",
                                      .after = {{due, "{c:7000}"}, {items, "{c=text c}"}}},
                                     {.name = "no such dead letter: nothing",
                                      .given = {{"ZADD", due, "1000", "a"}},
                                      .keys = keys,
                                      .args = {"a", "7000"},
                                      .reply = "0",
                                      .after = {{due, "{a:1000}"}}},
                                 });
}

TEST_F(OutboxScripts, CountMessages) {
  const strings keys = {due, lease, dead};
  check(scripts::count_messages,
        {
            {.name = "nothing anywhere", .keys = keys, .args = {"5000"}, .reply = "[0, 0, 0, 0]"},
            {.name = "queued, of which due by now (the boundary included); sending; dead",
             .given = {{"ZADD", due, "1000", "a", "5000", "b", "9000", "c"},
                       {"ZADD", lease, "65000", "d"},
                       {"ZADD", dead, "4000", "e", "4500", "f"}},
             .keys = keys,
             .args = {"5000"},
             .reply = "[3, 2, 1, 2]",
             .after = {{due, "{a:1000, b:5000, c:9000}"},
                       {lease, "{d:65000}"},
                       {dead, "{e:4000, f:4500}"}}},
        });
}

TEST_F(OutboxScripts, ListDeadMessages) {
  const strings keys = {dead, failures, errors};
  const strings three_dead = {"ZADD", dead, "6000", "late", "4000", "early", "5000", "middle"};
  check(scripts::list_dead_messages,
        {
            {.name = "none", .keys = keys, .args = {"100"}, .reply = "[]"},
            {.name = "oldest first, with attempts and error; one that died at once counts 0; "
                     "the limit holds",
             .given = {three_dead,
                       {"HSET", failures, "early", "10", "late", "3"},
                       {"HSET", errors, "early", "503", "middle", "410 Gone", "late", "timeout"}},
             .keys = keys,
             .args = {"2"},
             .reply = R"(["early", "4000", "10", "503", "middle", "5000", "0", "410 Gone"])",
             .after = {{dead, "{early:4000, middle:5000, late:6000}"},
                       {failures, "{early=10, late=3}"},
                       {errors, "{early=503, late=timeout, middle=410 Gone}"}}},
        });
}

}  // namespace
}  // namespace supportd::notify

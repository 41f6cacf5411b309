// service/webhooks/scripts/*.lua alone against a real redis-server: known KEYS and ARGV in, the
// reply and every key in Redis out, refusals included (a refusal writes nothing).
#include <gtest/gtest.h>

#include "support/script_table.hpp"
#include "webhooks/scripts.hpp"

namespace supportd::webhooks {
namespace {

using EventStreamScripts = test::script_test;
using strings = std::vector<std::string>;

constexpr auto stream = "stripe:events";
constexpr auto dead = "stripe:dead";

strings received(std::string id, std::string event_id) {
  return {"XADD",         stream, std::move(id), "event_id",    std::move(event_id), "type",
          "invoice.paid", "body", "{}",          "received_ms", "1690000000000"};
}
std::string entry(std::string_view event_id, std::string_view type = "invoice.paid",
                  std::string_view received_ms = "1690000000000") {
  return "{event_id=" + std::string(event_id) + ", type=" + std::string(type) +
         ", body={}, received_ms=" + std::string(received_ms) + "}";
}

TEST_F(EventStreamScripts, AppendEvent) {
  const strings evt_1 = {"0", "evt_1", "charge.refunded", "{}", "1700000000000"};
  const auto appended = entry("evt_1", "charge.refunded", "1700000000000");
  check(scripts::append_event,
        {
            {.name = "no bound: appended",
             .keys = {stream},
             .args = evt_1,
             .reply = "1",
             .after = {{stream, "[" + appended + "]"}}},
            {.name = "below the bound: appended after what is waiting",
             .given = {received("1-0", "evt_0")},
             .keys = {stream},
             .args = {"2", "evt_1", "charge.refunded", "{}", "1700000000000"},
             .reply = "1",
             .after = {{stream, "[" + entry("evt_0") + ", " + appended + "]"}}},
            {.name = "at the bound: refused, nothing added (the sender retries)",
             .given = {received("1-0", "evt_0"), received("2-0", "evt_00")},
             .keys = {stream},
             .args = {"2", "evt_1", "charge.refunded", "{}", "1700000000000"},
             .reply = "0",
             .after = {{stream, "[" + entry("evt_0") + ", " + entry("evt_00") + "]"}}},
        });
}

TEST_F(EventStreamScripts, AppendEvents) {
  const strings two = {"evt_1", "invoice.paid", "{}", "evt_2", "charge.refunded", "{}"};
  auto args = [&](std::string bound) {
    strings out = {std::move(bound), "1700000000000"};
    out.insert(out.end(), two.begin(), two.end());
    return out;
  };
  const auto both = entry("evt_1", "invoice.paid", "1700000000000") + ", " +
                    entry("evt_2", "charge.refunded", "1700000000000");
  check(scripts::append_events,
        {
            {.name = "no bound: all appended in order, received at the one time",
             .keys = {stream},
             .args = args("0"),
             .reply = "1",
             .after = {{stream, "[" + both + "]"}}},
            {.name = "they fill the backlog to its bound exactly: all appended",
             .keys = {stream},
             .args = args("2"),
             .reply = "1",
             .after = {{stream, "[" + both + "]"}}},
            {.name = "they would take the backlog past its bound: none appended",
             .given = {received("1-0", "evt_0")},
             .keys = {stream},
             .args = args("2"),
             .reply = "0",
             .after = {{stream, "[" + entry("evt_0") + "]"}}},
        });
}

TEST_F(EventStreamScripts, ReplayDeadLetter) {
  const strings letters = {
      "HSET", dead, "5-0", R"({"event_id":"evt_1"})", "6-0", R"({"event_id":"evt_2"})"};
  check(scripts::replay_dead_letter,
        {
            {.name = "a dead letter goes back onto the stream as a new entry",
             .given = {letters},
             .keys = {dead, stream},
             .args = {"5-0", "evt_1", "invoice.paid", "{}", "1700000000000"},
             .reply = "1",
             .after = {{dead, R"({6-0={"event_id":"evt_2"}})"},
                       {stream, "[" + entry("evt_1", "invoice.paid", "1700000000000") + "]"}}},
            {.name = "one replayed already (gone): nothing added",
             .given = {letters},
             .keys = {dead, stream},
             .args = {"7-0", "evt_3", "invoice.paid", "{}", "1700000000000"},
             .reply = "0",
             .after = {{dead, R"({5-0={"event_id":"evt_1"}, 6-0={"event_id":"evt_2"}})"}}},
        });
}

// A consumer group that starts at the stream's beginning.
strings create_group(std::string name) {
  return {"XGROUP", "CREATE", stream, std::move(name), "0"};
}
strings read_by(std::string group, std::string count) {
  return {"XREADGROUP",     "GROUP",   std::move(group), "c", "COUNT",
          std::move(count), "STREAMS", stream,           ">"};
}
strings ack(std::string group, std::initializer_list<std::string> ids) {
  strings out = {"XACK", stream, std::move(group)};
  out.insert(out.end(), ids);
  return out;
}

TEST_F(EventStreamScripts, TrimAcknowledged) {
  const strings three[] = {{"XADD", stream, "1-0", "n", "1"},
                           {"XADD", stream, "2-0", "n", "2"},
                           {"XADD", stream, "3-0", "n", "3"}};
  const strings group_g = create_group("g");
  check(scripts::trim_acknowledged,
        {
            {.name = "no stream", .keys = {stream}, .reply = "0", .after = {}},
            {.name = "no consumer group yet: everything stays",
             .given = {three[0], three[1], three[2]},
             .keys = {stream},
             .reply = "0",
             .after = {{stream, "[{n=1}, {n=2}, {n=3}]"}}},
            {.name = "a group given nothing yet: everything stays",
             .given = {three[0], three[1], three[2], group_g},
             .keys = {stream},
             .reply = "0",
             .after = {{stream, "[{n=1}, {n=2}, {n=3}]"}}},
            {.name = "the entries before a group's oldest pending one go",
             .given = {three[0], three[1], three[2], group_g, read_by("g", "2"), ack("g", {"1-0"})},
             .keys = {stream},
             .reply = "1",
             .after = {{stream, "[{n=2}, {n=3}]"}}},
            {.name = "nothing pending: every entry the group was given goes",
             .given = {three[0], three[1], three[2], group_g, read_by("g", "2"),
                       ack("g", {"1-0", "2-0"})},
             .keys = {stream},
             .reply = "2",
             .after = {{stream, "[{n=3}]"}}},
            {.name = "two groups: the one further behind decides",
             .given = {three[0], three[1], three[2], group_g, read_by("g", "3"),
                       ack("g", {"1-0", "2-0", "3-0"}), create_group("h"), read_by("h", "1"),
                       ack("h", {"1-0"})},
             .keys = {stream},
             .reply = "1",
             .after = {{stream, "[{n=2}, {n=3}]"}}},
        });
}

TEST_F(EventStreamScripts, OldestUnprocessed) {
  // Entry ids begin with the time they were received: 1000, 2000 and 3000 ms.
  const strings at[] = {{"XADD", stream, "1000-0", "n", "1"},
                        {"XADD", stream, "2000-0", "n", "2"},
                        {"XADD", stream, "3000-0", "n", "3"}};
  const std::map<std::string, std::string> kept = {{stream, "[{n=1}, {n=2}, {n=3}]"}};
  const strings group_g = create_group("g");
  check(scripts::oldest_unprocessed,
        {
            {.name = "no stream: none", .keys = {stream}, .args = {"g"}, .reply = "0", .after = {}},
            {.name = "no group yet: the first entry",
             .given = {at[0], at[1], at[2]},
             .keys = {stream},
             .args = {"g"},
             .reply = "1000",
             .after = kept},
            {.name = "the oldest pending entry, older than the first undelivered",
             .given = {at[0], at[1], at[2], group_g, read_by("g", "2"), ack("g", {"1000-0"})},
             .keys = {stream},
             .args = {"g"},
             .reply = "2000",
             .after = kept},
            {.name = "nothing pending: the first entry never delivered",
             .given = {at[0], at[1], at[2], group_g, read_by("g", "2"),
                       ack("g", {"1000-0", "2000-0"})},
             .keys = {stream},
             .args = {"g"},
             .reply = "3000",
             .after = kept},
            {.name = "every entry acknowledged: none",
             .given = {at[0], at[1], at[2], group_g, read_by("g", "3"),
                       ack("g", {"1000-0", "2000-0", "3000-0"})},
             .keys = {stream},
             .args = {"g"},
             .reply = "0",
             .after = kept},
            {.name = "another group's reading does not count",
             .given = {at[0], at[1], at[2], create_group("other"), read_by("other", "3"),
                       ack("other", {"1000-0", "2000-0", "3000-0"})},
             .keys = {stream},
             .args = {"g"},
             .reply = "1000",
             .after = kept},
        });
}

}  // namespace
}  // namespace supportd::webhooks

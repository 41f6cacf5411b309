// service/reminders/scripts/*.lua alone against a real redis-server: known KEYS and ARGV in, the
// reply and every key in Redis out, refusals included (a refusal writes nothing).
#include <gtest/gtest.h>

#include "reminders/scripts.hpp"
#include "support/script_table.hpp"

namespace supportd::reminders {
namespace {

using ReminderScripts = test::script_test;
using strings = std::vector<std::string>;

// The layout reminder_records.lua describes, with the prefix `rem:` (P).
constexpr auto P = "rem:";
constexpr auto due = "rem:due";
constexpr auto lease = "rem:lease";
constexpr auto dead = "rem:dead";
constexpr auto bucket_ab = "rem:b:ab";  // ids ab…
constexpr auto bucket_cd = "rem:b:cd";  // ids cd…
constexpr auto context = "rem:ctx:c1";
constexpr auto day = "report:2023-11-14";
constexpr auto mark = "report:delivered:rc1";

// How long the report's day hash is kept: 1000 s, so that it shows as ttl=1000s.
std::string expiry() {
  return "1000";
}
strings sets() {
  return {due, lease, dead};
}

TEST_F(ReminderScripts, AddPending) {
  check(
      scripts::add_pending,
      {
          {.name = "a new reminder: in its bucket, due; its shared part kept its ttl and a minute",
           .keys = {due},
           .args = {P, "ab12", "r1", "1700000000000", context, "shared", "100000", "", "", ""},
           .reply = "1",
           .after = {{bucket_ab, "{ab12=r1}"},
                     {due, "{ab12:1700000000000}"},
                     {context, "shared ttl=160s"}}},
          {.name = "no shared part: no context key",
           .keys = {due},
           .args = {P, "ab12", "r1", "1700000000000", "", "", "0", "", "", ""},
           .reply = "1",
           .after = {{bucket_ab, "{ab12=r1}"}, {due, "{ab12:1700000000000}"}}},
          {.name = "a sign-up counted in the report's day, which expires when it is told",
           .keys = {due},
           .args = {P, "ab12", "r1", "1700000000000", "", "", "0", day, expiry(),
                    "w|banner|b|||reminders_signed_up"},
           .reply = "1",
           .after = {{bucket_ab, "{ab12=r1}"},
                     {due, "{ab12:1700000000000}"},
                     {day, "{w|banner|b|||reminders_signed_up=1} ttl=1000s"}}},
          {.name = "a shared part that outlives the reminder anyway is not written again",
           .given = {{"SET", context, "shared", "PX", "200000"}},
           .keys = {due},
           .args = {P, "ab12", "r1", "1700000000000", context, "shared", "100000", "", "", ""},
           .reply = "1",
           .after = {{bucket_ab, "{ab12=r1}"},
                     {due, "{ab12:1700000000000}"},
                     {context, "shared ttl=200s"}}},
          {.name = "a shared part that would expire first is kept longer",
           .given = {{"SET", context, "shared", "PX", "50000"}},
           .keys = {due},
           .args = {P, "ab12", "r1", "1700000000000", context, "shared", "100000", "", "", ""},
           .reply = "1",
           .after = {{bucket_ab, "{ab12=r1}"},
                     {due, "{ab12:1700000000000}"},
                     {context, "shared ttl=160s"}}},
          {.name = "an id kept in its bucket is taken: nothing written",
           .given = {{"HSET", bucket_ab, "ab12", "r0"}},
           .keys = {due},
           .args = {P, "ab12", "r1", "1700000000000", context, "shared", "100000", "", "", ""},
           .reply = "0",
           .after = {{bucket_ab, "{ab12=r0}"}}},
          {.name = "an id finished (in a key of its own) is taken: nothing written",
           .given = {{"SET", "rem:ab12", "r0", "PX", "60000"}},
           .keys = {due},
           .args = {P, "ab12", "r1", "1700000000000", context, "shared", "100000", "", "", ""},
           .reply = "0",
           .after = {{"rem:ab12", "r0 ttl=60s"}}},
      });
}

// One change for replace_reminders.lua: id, must exist, expected, new bytes, due ms, keep ms,
// dead at ms, context key, context, context ttl ms, then the report's part (none).
strings change(std::string id, std::string must_exist, std::string expected, std::string bytes,
               std::string due_ms, std::string keep_ms, std::string dead_at) {
  return {std::move(id),
          std::move(must_exist),
          std::move(expected),
          std::move(bytes),
          std::move(due_ms),
          std::move(keep_ms),
          std::move(dead_at),
          "",
          "",
          "0",
          "",
          "",
          "",
          "",
          "",
          ""};
}

// The same with the report's part: a count, and for a delivery the reader's mark.
strings counted(strings c, std::string field, std::string mark_key = "", std::string mark = "") {
  c.resize(10);
  c.insert(c.end(),
           {day, expiry(), std::move(field), std::move(mark_key), std::move(mark), "2592000000"});
  return c;
}

strings args_of(std::initializer_list<strings> changes) {
  strings out = {P};
  for (const auto& c : changes) {
    out.insert(out.end(), c.begin(), c.end());
  }
  return out;
}

TEST_F(ReminderScripts, ReplaceReminders) {
  const strings kept = {"HSET", bucket_ab, "ab12", "r1"};
  const strings leased = {"ZADD", lease, "1700000060000", "ab12"};
  check(scripts::replace_reminders,
        {
            {.name = "a new reminder (none must exist): written and due",
             .keys = sets(),
             .args = args_of({change("ab12", "0", "", "r1", "1700000000000", "", "")}),
             .reply = "[1]",
             .after = {{bucket_ab, "{ab12=r1}"}, {due, "{ab12:1700000000000}"}}},
            {.name = "none must exist but one does: refused, nothing written",
             .given = {kept},
             .keys = sets(),
             .args = args_of({change("ab12", "0", "", "r2", "1700000000000", "", "")}),
             .reply = "[0]",
             .after = {{bucket_ab, "{ab12=r1}"}}},
            {.name = "delivered (leased, as read): kept a while in a key of its own, in no set",
             .given = {kept, leased},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r1", "r1-sent", "", "86400000", "")}),
             .reply = "[1]",
             .after = {{"rem:ab12", "r1-sent ttl=86400s"}}},
            {.name = "changed since it was read: refused, nothing written",
             .given = {kept, leased},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r0", "r1-sent", "", "86400000", "")}),
             .reply = "[0]",
             .after = {{bucket_ab, "{ab12=r1}"}, {lease, "{ab12:1700000060000}"}}},
            {.name = "a delivery to try again later: out of the lease set, due again",
             .given = {kept, leased},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r1", "r1-retry", "1700000600000", "", "")}),
             .reply = "[1]",
             .after = {{bucket_ab, "{ab12=r1-retry}"}, {due, "{ab12:1700000600000}"}}},
            {.name = "out of tries: a dead letter, kept in its bucket",
             .given = {kept, leased},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r1", "r1-dead", "", "", "1700000000000")}),
             .reply = "[1]",
             .after = {{bucket_ab, "{ab12=r1-dead}"}, {dead, "{ab12:1700000000000}"}}},
            {.name = "a pending one canceled (not leased): out of the due set, kept a while",
             .given = {kept, {"ZADD", due, "1700000600000", "ab12"}},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r1", "r1-canceled", "", "86400000", "")}),
             .reply = "[1]",
             .after = {{"rem:ab12", "r1-canceled ttl=86400s"}}},
            {.name = "a dead letter replayed: out of the dead set, due",
             .given = {kept, {"ZADD", dead, "1690000000000", "ab12"}},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r1", "r1-again", "1700000000000", "", "")}),
             .reply = "[1]",
             .after = {{bucket_ab, "{ab12=r1-again}"}, {due, "{ab12:1700000000000}"}}},
            {.name = "a finished one rewritten goes back to its bucket from its own key",
             .given = {{"SET", "rem:ab12", "r1", "PX", "60000"}},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r1", "r1-again", "1700000000000", "", "")}),
             .reply = "[1]",
             .after = {{bucket_ab, "{ab12=r1-again}"}, {due, "{ab12:1700000000000}"}}},
            {.name = "a batch: each change applies or not on its own",
             .given = {kept, {"HSET", bucket_cd, "cd34", "r2"}},
             .keys = sets(),
             .args = args_of({change("ab12", "1", "r1", "r1-sent", "", "86400000", ""),
                              change("cd34", "1", "r0", "r2-sent", "", "86400000", "")}),
             .reply = "[1, 0]",
             .after = {{"rem:ab12", "r1-sent ttl=86400s"}, {bucket_cd, "{cd34=r2}"}}},
            {.name = "a delivery written: counted, and the reader's delivery mark set for 30 days",
             .given = {kept, leased},
             .keys = sets(),
             .args = args_of({counted(change("ab12", "1", "r1", "r1-sent", "", "86400000", ""),
                                      "w|banner|b|||reminders_delivered", mark, "w|banner|b|||")}),
             .reply = "[1]",
             .after = {{"rem:ab12", "r1-sent ttl=86400s"},
                       {day, "{w|banner|b|||reminders_delivered=1} ttl=1000s"},
                       {mark, "w|banner|b||| ttl=2592000s"}}},
            {.name = "a change not written is not counted",
             .given = {kept},
             .keys = sets(),
             .args = args_of({counted(change("ab12", "1", "r0", "r1-gone", "", "86400000", ""),
                                      "w|banner|b|||reminders_unsubscribed")}),
             .reply = "[0]",
             .after = {{bucket_ab, "{ab12=r1}"}}},
            {.name = "a shared part comes with its change",
             .keys = sets(),
             .args = {P, "ab12", "0", "", "r1", "1700000000000", "", "", context, "shared",
                      "100000", "", "", "", "", "", ""},
             .reply = "[1]",
             .after = {{bucket_ab, "{ab12=r1}"},
                       {due, "{ab12:1700000000000}"},
                       {context, "shared ttl=160s"}}},
        });
}

TEST_F(ReminderScripts, ClaimDue) {
  const strings records[] = {{"HSET", bucket_ab, "ab12", "r1"},
                             {"HSET", bucket_cd, "cd34", "r2"},
                             {"SET", "rem:ef56", "r3"}};
  const std::map<std::string, std::string> stored = {
      {bucket_ab, "{ab12=r1}"}, {bucket_cd, "{cd34=r2}"}, {"rem:ef56", "r3"}};
  auto with = [&](std::map<std::string, std::string> more) {
    more.insert(stored.begin(), stored.end());
    return more;
  };
  check(
      scripts::claim_due,
      {
          {.name = "due ones are leased until the lease ends, oldest first; later ones wait",
           .given = {records[0],
                     records[1],
                     records[2],
                     {"ZADD", due, "1000", "ab12", "2000", "cd34", "9000", "ef56"}},
           .keys = {due, lease},
           .args = {P, "5000", "65000", "10"},
           .reply = R"(["ab12", "r1", "cd34", "r2"])",
           .after = with({{due, "{ef56:9000}"}, {lease, "{ab12:65000, cd34:65000}"}})},
          {.name = "leases run out (their scheduler died) come first, leased again",
           .given = {records[0],
                     records[1],
                     records[2],
                     {"ZADD", lease, "4000", "ab12"},
                     {"ZADD", due, "1000", "cd34"}},
           .keys = {due, lease},
           .args = {P, "5000", "65000", "1"},
           .reply = R"(["ab12", "r1"])",
           .after = with({{due, "{cd34:1000}"}, {lease, "{ab12:65000}"}})},
          {.name = "leases not run out are left alone",
           .given = {records[0],
                     records[1],
                     records[2],
                     {"ZADD", lease, "6000", "ab12"},
                     {"ZADD", due, "1000", "cd34"}},
           .keys = {due, lease},
           .args = {P, "5000", "65000", "10"},
           .reply = R"(["cd34", "r2"])",
           .after = with({{lease, "{ab12:6000, cd34:65000}"}})},
          {.name = "no more than the limit",
           .given =
               {records[0], records[1], records[2], {"ZADD", due, "1000", "ab12", "2000", "cd34"}},
           .keys = {due, lease},
           .args = {P, "5000", "65000", "1"},
           .reply = R"(["ab12", "r1"])",
           .after = with({{due, "{cd34:2000}"}, {lease, "{ab12:65000}"}})},
          {.name = "a finished record (its own key) is read too",
           .given = {records[0], records[1], records[2], {"ZADD", due, "1000", "ef56"}},
           .keys = {due, lease},
           .args = {P, "5000", "65000", "10"},
           .reply = R"(["ef56", "r3"])",
           .after = with({{lease, "{ef56:65000}"}})},
          {.name = "ids whose record is gone are dropped from both sets",
           .given = {{"ZADD", due, "1000", "zz99"}, {"ZADD", lease, "1000", "yy88"}},
           .keys = {due, lease},
           .args = {P, "5000", "65000", "10"},
           .reply = "[]",
           .after = {}},
          {.name = "nothing due",
           .keys = {due, lease},
           .args = {P, "5000", "65000", "10"},
           .reply = "[]",
           .after = {}},
      });
}

TEST_F(ReminderScripts, LoadReminders) {
  check(scripts::load_reminders,
        {
            {.name = "kept, finished and missing, in the order asked",
             .given = {{"HSET", bucket_ab, "ab12", "r1"}, {"SET", "rem:cd34", "r2", "PX", "60000"}},
             .args = {P, "ef56", "cd34", "ab12"},
             .reply = R"([nil, "r2", "r1"])",
             .after = {{bucket_ab, "{ab12=r1}"}, {"rem:cd34", "r2 ttl=60s"}}},
        });
}

TEST_F(ReminderScripts, RemoveReminder) {
  check(scripts::remove_reminder,
        {
            {.name = "a kept one: its record and its place in every set; others stay",
             .given = {{"HSET", bucket_ab, "ab12", "r1", "ab99", "r9"},
                       {"ZADD", due, "1000", "ab12", "2000", "ab99"}},
             .keys = sets(),
             .args = {P, "ab12"},
             .reply = "1",
             .after = {{bucket_ab, "{ab99=r9}"}, {due, "{ab99:2000}"}}},
            {.name = "a finished one (its own key)",
             .given = {{"SET", "rem:ab12", "r1", "PX", "60000"}},
             .keys = sets(),
             .args = {P, "ab12"},
             .reply = "1",
             .after = {}},
            {.name = "no record: 0, and no place left in a set",
             .given = {{"ZADD", dead, "1000", "ab12"}, {"ZADD", lease, "1000", "ab12"}},
             .keys = sets(),
             .args = {P, "ab12"},
             .reply = "0",
             .after = {}},
        });
}

TEST_F(ReminderScripts, RewriteReminder) {
  check(scripts::rewrite_reminder,
        {
            {.name = "kept, as read: rewritten in its bucket",
             .given = {{"HSET", bucket_ab, "ab12", "r1"}, {"ZADD", due, "1000", "ab12"}},
             .args = {P, "ab12", "r1", "r1-new"},
             .reply = "1",
             .after = {{bucket_ab, "{ab12=r1-new}"}, {due, "{ab12:1000}"}}},
            {.name = "finished, as read: rewritten in its key, which keeps its expiry",
             .given = {{"SET", "rem:ab12", "r1", "PX", "60000"}},
             .args = {P, "ab12", "r1", "r1-new"},
             .reply = "1",
             .after = {{"rem:ab12", "r1-new ttl=60s"}}},
            {.name = "changed since it was read: nothing written",
             .given = {{"HSET", bucket_ab, "ab12", "r2"}},
             .args = {P, "ab12", "r1", "r1-new"},
             .reply = "0",
             .after = {{bucket_ab, "{ab12=r2}"}}},
            {.name = "gone: nothing written",
             .args = {P, "ab12", "r1", "r1-new"},
             .reply = "0",
             .after = {}},
        });
}

TEST_F(ReminderScripts, CountReminders) {
  check(
      scripts::count_reminders,
      {
          {.name = "none", .keys = sets(), .args = {"5000"}, .reply = "[0, 0, 0, 0]", .after = {}},
          {.name = "pending, pending due by now, leased, dead",
           .given = {{"ZADD", due, "1000", "a", "5000", "b", "9000", "c"},
                     {"ZADD", lease, "6000", "d"},
                     {"ZADD", dead, "1", "e", "2", "f"}},
           .keys = sets(),
           .args = {"5000"},
           .reply = "[3, 2, 1, 2]",
           .after = {{due, "{a:1000, b:5000, c:9000}"}, {lease, "{d:6000}"}, {dead, "{e:1, f:2}"}}},
      });
}

TEST_F(ReminderScripts, ClaimSends) {
  const std::string k1 = "rem:sent:k1";
  const std::string k2 = "rem:sent:k2";
  const strings held_by_s1 = {"SET", k1, "s1|1700000030000", "PX", "90000"};
  check(scripts::claim_sends,
        {
            {.name = "free: claimed until now + window; the key outlives it by a minute",
             .args = {"1700000000000", "30000", k1, "s1"},
             .reply = "[1]",
             .after = {{k1, "s1|1700000030000 ttl=90s"}}},
            {.name = "its holder may send again (its own retry)",
             .given = {held_by_s1},
             .args = {"1700000010000", "30000", k1, "s1"},
             .reply = "[1]",
             .after = {{k1, "s1|1700000030000 ttl=90s"}}},
            {.name = "another holder's claim that has not ended: refused",
             .given = {held_by_s1},
             .args = {"1700000029999", "30000", k1, "s2"},
             .reply = "[0]",
             .after = {{k1, "s1|1700000030000 ttl=90s"}}},
            {.name = "another holder's claim ended by the clock (its key still there): taken",
             .given = {held_by_s1},
             .args = {"1700000030000", "30000", k1, "s2"},
             .reply = "[1]",
             .after = {{k1, "s2|1700000060000 ttl=90s"}}},
            {.name = "a claim in no known form is taken",
             .given = {{"SET", k1, "garbage"}},
             .args = {"1700000000000", "30000", k1, "s2"},
             .reply = "[1]",
             .after = {{k1, "s2|1700000030000 ttl=90s"}}},
            {.name = "several at once, each on its own",
             .given = {held_by_s1},
             .args = {"1700000000000", "30000", k1, "s2", k2, "s2"},
             .reply = "[0, 1]",
             .after = {{k1, "s1|1700000030000 ttl=90s"}, {k2, "s2|1700000030000 ttl=90s"}}},
        });
}

}  // namespace
}  // namespace supportd::reminders

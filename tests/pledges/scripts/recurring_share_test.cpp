// The stats rule is written twice: in Lua (recurring_stats.lua's recurring_share(), by which the
// scripts move the stats hashes) and in C++ (monthly_recurring_minor(), by which a rebuild sums
// the pledges). Here the same pledges go through both, against a real redis-server: were the two
// to differ, every rebuild would "correct" hashes that were right, and back again.
#include <gtest/gtest.h>

#include <map>

#include "pledges/pledge_state.hpp"
#include "pledges/scripts.hpp"
#include "support/script_table.hpp"

namespace supportd::pledges {
namespace {

using RecurringShare = test::script_test;
using call = test::script_test::call;

constexpr pledge_state all_states[] = {
    pledge_state::pending,  pledge_state::active,    pledge_state::past_due,
    pledge_state::paid,     pledge_state::canceled,  pledge_state::refunded,
    pledge_state::disputed, pledge_state::abandoned, pledge_state::failed};
constexpr interval all_intervals[] = {interval::once, interval::month, interval::year};
// JPY has no minor unit (exponent 0), KWD three decimals; '' is a pledge without a currency.
constexpr std::string_view currencies[] = {"USD", "JPY", "KWD", ""};
constexpr std::int64_t amounts[] = {
    // A twelfth and around it, whole twelfths and what rounds down.
    0, 1, 11, 12, 13, 500, 1199, 1200, 1201, 1299,
    // Not written today; C++ rounds them down, as Lua's math.floor does.
    -1, -13,
    // The largest amount the intake accepts (money.cpp), one less, and 2^53: Lua's numbers are
    // doubles, exact up to there.
    999'999'999'999'999, 1'000'000'000'000'000, 9'007'199'254'740'992};

using counts = std::map<std::string, std::int64_t, std::less<>>;

std::string text(std::int64_t n) {
  return std::to_string(n);
}

// Currencies at zero aside: the hashes keep a currency whose last pledge left, at 0.
counts nonzero(const counts& all) {
  counts out;
  for (const auto& [currency, n] : all) {
    if (n != 0) {
      out[currency] = n;
    }
  }
  return out;
}

// Every combination of the above, one pledge each.
struct made {
  std::string key;
  pledge_state state;
  interval every;
  std::string currency;
  std::int64_t amount;
};
std::vector<made> every_pledge() {
  std::vector<made> out;
  for (auto state : all_states) {
    for (auto every : all_intervals) {
      for (auto currency : currencies) {
        for (auto amount : amounts) {
          out.push_back({"pledge:" + std::to_string(out.size()), state, every,
                         std::string(currency), amount});
        }
      }
    }
  }
  return out;
}

TEST_F(RecurringShare, LuaAndCppAgreeOnEveryPledge) {
  const auto pledges = every_pledge();
  ASSERT_EQ(pledges.size(), 9u * 3 * 4 * 15);
  std::vector<call> write;
  std::vector<call> ask;
  for (const auto& p : pledges) {
    write.push_back(
        {{p.key},
         {"status", std::string(to_string(p.state)), "interval", std::string(to_string(p.every)),
          "amount_minor", text(p.amount), "currency", p.currency}});
    ask.push_back({{p.key}, {}});
  }
  for (const auto& r : run_all("return redis.call('HSET', KEYS[1], unpack(ARGV))", write)) {
    ASSERT_EQ(test::shown(r), "4");
  }
  // recurring_share() alone: the Lua prepended to every script that writes a pledge, and a line
  // that answers what it says of KEYS[1].
  const auto probe = std::string(scripts::recurring_stats) +
                     "\nlocal currency, share = recurring_share(KEYS[1])\n"
                     "return {currency or '', string.format('%d', share)}\n";
  const auto lua = run_all(probe, ask);
  for (std::size_t i = 0; i < pledges.size(); ++i) {
    const auto& p = pledges[i];
    // What a rebuild counts: recurring_totals::add() skips a pledge without a currency.
    const auto cpp = monthly_recurring_minor(p.state, p.every, p.amount);
    const auto expected = cpp && !p.currency.empty()
                              ? "[\"" + p.currency + "\", \"" + text(*cpp) + "\"]"
                              : std::string(R"(["", "0"])");
    EXPECT_EQ(test::shown(lua[i]), expected)
        << to_string(p.state) << ' ' << to_string(p.every) << ' ' << p.amount << ' ' << p.currency;
  }
}

// The hashes the scripts keep, pledge by pledge, equal the C++ sums of the same pledges: after
// every pledge is created (create_pledge.lua) and after every one is moved on
// (transition_pledge.lua) to a state with another share.
TEST_F(RecurringShare, TheHashesTheScriptsKeepAreTheSumsARebuildMakes) {
  const std::string active = "stats:active";
  const std::string mrr = "stats:mrr_minor";
  const std::string version = "stats:version";
  auto hash = [&](const std::string& key) {
    counts out;
    const auto flat = command({"HGETALL", key});
    for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
      out[flat.elements[i].text] = std::stoll(flat.elements[i + 1].text);
    }
    return nonzero(out);
  };
  std::vector<made> pledges;
  for (const auto& p : every_pledge()) {
    if (p.amount >= 0) {  // a share below zero is not one the intake makes
      pledges.push_back(p);
    }
  }
  recurring_totals created;
  std::vector<call> creates;
  for (const auto& p : pledges) {
    creates.push_back(
        {{p.key, p.key + ":events", "checkout:x", "idem:x", active, mrr, version, "report:x"},
         {"ev", p.key, "", "0", "201", "", "{}", "1", "0", "0", "status",
          std::string(to_string(p.state)), "interval", std::string(to_string(p.every)),
          "amount_minor", text(p.amount), "currency", p.currency}});
    created.add(p.currency, p.state, p.every, p.amount);
  }
  for (const auto& r : run_all(scripts::create_pledge, creates)) {
    ASSERT_EQ(test::shown(r), "1");
  }
  EXPECT_EQ(hash(active), nonzero(created.active));
  EXPECT_EQ(hash(mrr), nonzero(created.mrr_minor));
  EXPECT_FALSE(created.mrr_minor.empty());

  // Every pending pledge is activated, every other one canceled.
  recurring_totals moved;
  std::vector<call> transitions;
  for (const auto& p : pledges) {
    auto next = p.state == pledge_state::pending ? pledge_state::active : pledge_state::canceled;
    transitions.push_back(
        {{p.key, p.key + ":events", active, mrr, version, "report:x", "msg:due", "msg:items"},
         {std::string(to_string(p.state)), std::string(to_string(next)), "ev", "1", "0", "0",
          "0"}});
    moved.add(p.currency, next, p.every, p.amount);
  }
  for (const auto& r : run_all(scripts::transition_pledge, transitions)) {
    ASSERT_EQ(test::shown(r), R"("applied")");
  }
  EXPECT_EQ(hash(active), nonzero(moved.active));
  EXPECT_EQ(hash(mrr), nonzero(moved.mrr_minor));
  EXPECT_FALSE(moved.mrr_minor.empty());
}

}  // namespace
}  // namespace supportd::pledges

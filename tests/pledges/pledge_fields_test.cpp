// The pledge hash's field names are spelled in three places: pledge_fields.hpp (the C++ side),
// the Lua scripts of service/pledges/scripts/, and the updates webhooks/stripe_event.cpp makes of
// Stripe's events (which the scripts write as they are). A name in one that is not in
// pledge_fields.hpp is a field that drifted: written under one name, read under another.
#include "pledges/pledge_fields.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "webhooks/stripe_event.hpp"

namespace supportd::pledges {
namespace {

namespace fs = std::filesystem;

bool is_field(std::string_view name) {
  return std::find(pledge_field::all.begin(), pledge_field::all.end(), name) !=
         pledge_field::all.end();
}

bool is_prefix(std::string_view name) {
  return std::find(pledge_field::all_prefixes.begin(), pledge_field::all_prefixes.end(), name) !=
         pledge_field::all_prefixes.end();
}

bool has_known_prefix(std::string_view name) {
  return std::any_of(pledge_field::all_prefixes.begin(), pledge_field::all_prefixes.end(),
                     [&](std::string_view prefix) {
                       return name.starts_with(prefix) && name.size() > prefix.size();
                     });
}

// The scripts' Lua, comments dropped ('--' outside a string, to the end of the line).
std::string code_of(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  std::string out;
  char quote = 0;
  const std::string text = all.str();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == 0 && c == '-' && i + 1 < text.size() && text[i + 1] == '-') {
      i = text.find('\n', i);
      if (i == std::string::npos) {
        break;
      }
      out += '\n';
      continue;
    }
    if (quote != 0 && c == '\\') {
      out += c;
      out += text[++i];
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = quote == '\0' ? c : (quote == c ? '\0' : quote);
    }
    out += c;
  }
  return out;
}

// The arguments of every redis.call(…) in `code`, each trimmed, split at the call's own commas.
std::vector<std::vector<std::string>> redis_calls(const std::string& code) {
  std::vector<std::vector<std::string>> calls;
  const std::string opening = "redis.call(";
  for (auto at = code.find(opening); at != std::string::npos; at = code.find(opening, at + 1)) {
    std::vector<std::string> args(1);
    int depth = 0;
    char quote = 0;
    for (std::size_t i = at + opening.size(); i < code.size(); ++i) {
      const char c = code[i];
      if (quote != 0) {
        quote = c == quote ? '\0' : quote;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(' || c == '{' || c == '[') {
        ++depth;
      } else if (c == ')' && depth == 0) {
        break;
      } else if (c == ')' || c == '}' || c == ']') {
        --depth;
      } else if (c == ',' && depth == 0) {
        args.emplace_back();
        continue;
      }
      args.back() += c;
    }
    for (auto& a : args) {
      a.erase(0, a.find_first_not_of(" \n"));
      a.erase(a.find_last_not_of(" \n") + 1);
    }
    calls.push_back(std::move(args));
  }
  return calls;
}

// 'text' -> text; anything else (a variable, ARGV[i], an expression) -> nullopt.
std::optional<std::string> literal(const std::string& arg) {
  if (arg.size() >= 2 && arg.front() == '\'' && arg.back() == '\'' &&
      arg.find('\'', 1) == arg.size() - 1) {
    return arg.substr(1, arg.size() - 2);
  }
  return std::nullopt;
}

// The field arguments of a hash command's call (after the command and the key).
std::vector<std::string> field_arguments(const std::vector<std::string>& call) {
  const auto command = literal(call[0]).value_or("");
  std::vector<std::string> out;
  if (command == "HSET" || command == "HMSET" || command == "HSETNX") {
    for (std::size_t i = 2; i < call.size(); i += 2) {
      out.push_back(call[i]);
    }
  } else if (command == "HINCRBY" || command == "HINCRBYFLOAT") {
    out.push_back(call.at(2));
  } else if (command != "HGETALL" && command != "HLEN" && command != "HKEYS" &&
             command != "HVALS") {
    out.assign(call.begin() + 2, call.end());  // HGET, HMGET, HEXISTS, HDEL, HSTRLEN
  }
  return out;
}

// Per script, how it names a pledge's hash, and the other hashes it touches (the stats, an
// Idempotency-Key's): every hash command's key is one or the other, so a new script or a new
// call on a pledge cannot go unchecked.
struct hash_keys {
  std::set<std::string> pledge;
  std::set<std::string> other;
};
std::map<std::string, hash_keys> hash_keys_by_script() {
  return {
      {"apply_provider_update.lua", {{"KEYS[1]"}, {}}},
      {"change_amount.lua", {{"KEYS[1]"}, {}}},
      {"confirm_address.lua", {{"KEYS[1]"}, {}}},
      {"create_pledge.lua", {{"KEYS[1]"}, {"KEYS[4]"}}},
      {"erase_reader.lua", {{"KEYS[j]"}, {}}},
      {"pause_pledge.lua", {{"KEYS[1]"}, {}}},
      {"queue_messages.lua", {{"pledge"}, {"items"}}},
      {"read_pledges.lua", {{"pledge"}, {}}},
      {"read_stats.lua", {{}, {"KEYS[1]", "KEYS[2]"}}},
      {"recurring_stats.lua", {{"pledge"}, {"stats[1]", "stats[2]"}}},
      {"release_idempotency.lua", {{}, {"KEYS[1]"}}},
      {"replace_stats.lua", {{}, {"KEYS[1]", "KEYS[2]"}}},
      {"report_counts.lua", {{}, {"day"}}},
      {"reserve_idempotency.lua", {{}, {"KEYS[1]"}}},
      {"transition_pledge.lua", {{"KEYS[1]"}, {}}},
  };
}

TEST(PledgeFields, EveryFieldTheScriptsNameIsAPledgeField) {
  const fs::path folder = PLEDGE_SCRIPTS_DIR;
  const auto scripts = hash_keys_by_script();
  std::set<std::string> files;
  std::set<std::string> named;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".lua") {
      continue;
    }
    const auto file = entry.path().filename().string();
    files.insert(file);
    SCOPED_TRACE(file);
    const auto known = scripts.find(file);
    ASSERT_NE(known, scripts.end()) << "say which of its hash keys are a pledge's";
    const auto code = code_of(entry.path());
    for (const auto& call : redis_calls(code)) {
      const auto command = literal(call[0]);
      if (!command || !command->starts_with('H') || call.size() < 2) {
        continue;
      }
      if (!known->second.pledge.contains(call[1])) {
        EXPECT_TRUE(known->second.other.contains(call[1]))
            << *command << " on " << call[1] << ": a pledge's hash or not?";
        continue;
      }
      for (const auto& argument : field_arguments(call)) {
        if (auto name = literal(argument)) {
          EXPECT_TRUE(is_field(*name)) << *command << " " << *name;
          named.insert(*name);
        }
      }
    }
    // Fields named per payment are built in Lua from a prefix ('counted:' .. id).
    for (std::size_t at = code.find(":'"); at != std::string::npos; at = code.find(":'", at + 1)) {
      const auto start = code.rfind('\'', at - 1);
      const auto prefix = code.substr(start + 1, at - start);
      EXPECT_TRUE(is_prefix(prefix)) << prefix;
      named.insert(prefix);
    }
  }
  std::set<std::string> listed;
  for (const auto& [file, keys] : scripts) {
    listed.insert(file);
  }
  EXPECT_EQ(files, listed);
  // What the scripts are known to name, so that a parser that finds nothing fails.
  for (auto name : {"status", "interval", "amount_minor", "currency", "id", "updated_at_ms",
                    "total_refunded_minor", "paused_until_ms", "counted:", "refunded:"}) {
    EXPECT_TRUE(named.contains(name)) << name;
  }
}

// Each kind of event that changes a pledge's fields, as Stripe sends it (trimmed).
constexpr std::string_view stripe_events[] = {
    R"({"id":"evt_1","type":"checkout.session.completed","created":1700000000,
        "data":{"object":{"id":"cs_1","mode":"subscription","client_reference_id":"pl_1",
        "payment_status":"paid","subscription":"sub_1","customer":"cus_1","amount_total":500}}})",
    R"({"id":"evt_2","type":"checkout.session.completed","created":1700000000,
        "data":{"object":{"id":"cs_2","mode":"payment","client_reference_id":"pl_2",
        "payment_status":"paid","payment_intent":"pi_2","amount_total":1500}}})",
    R"({"id":"evt_3","type":"checkout.session.async_payment_succeeded","created":1700000000,
        "data":{"object":{"id":"cs_3","mode":"payment","client_reference_id":"pl_3",
        "payment_status":"paid","amount_total":700}}})",
    R"({"id":"evt_4","type":"invoice.paid","created":1700000000,
        "data":{"object":{"id":"in_1","subscription":"sub_1","amount_paid":500,"charge":"ch_1",
        "lines":{"data":[{"metadata":{"pledge_id":"pl_1"},"period":{"end":1702592000}}]}}}})",
    R"({"id":"evt_5","type":"invoice.payment_failed","created":1700000000,
        "data":{"object":{"id":"in_2","subscription":"sub_1","attempt_count":1,
        "lines":{"data":[{"metadata":{"pledge_id":"pl_1"}}]}}}})",
    R"({"id":"evt_6","type":"customer.subscription.updated","created":1700000000,
        "data":{"object":{"id":"sub_1","status":"active","current_period_end":1702592000,
        "metadata":{"pledge_id":"pl_1"}}}})",
    R"({"id":"evt_7","type":"charge.refunded","created":1700000000,
        "data":{"object":{"id":"ch_1","payment_intent":"pi_1","refunded":false,
        "amount_refunded":200}}})",
};

TEST(PledgeFields, EveryFieldAStripeEventSetsIsAPledgeField) {
  std::set<std::string> named;
  for (auto body : stripe_events) {
    const auto e = webhooks::parse_stripe_event(body);
    ASSERT_EQ(e.kind, webhooks::event_kind::known) << body;
    for (const auto& [name, amount] : e.update.increments) {
      EXPECT_TRUE(is_field(name)) << e.type << ": " << name;
      named.insert(name);
    }
    for (const auto& [name, value] : e.update.fields) {
      EXPECT_TRUE(is_field(name) || has_known_prefix(name)) << e.type << ": " << name;
      named.insert(name);
    }
  }
  // Each event above changes at least one field: the bodies are still ones the parser reads.
  EXPECT_EQ(named,
            (std::set<std::string>{"charges_succeeded", "consecutive_failures", "customer_id",
                                   "last_charge_at_ms", "next_charge_at_ms", "refunded:ch_1",
                                   "subscription_id", "total_given_minor"}));
}

}  // namespace
}  // namespace supportd::pledges

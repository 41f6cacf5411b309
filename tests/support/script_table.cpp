#include "support/script_table.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "redis/script.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;

std::string joined(const std::vector<std::string>& parts, std::string_view open,
                   std::string_view close) {
  std::string out(open);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    out += i == 0 ? "" : ", ";
    out += parts[i];
  }
  out += close;
  return out;
}

// A flat [a, b, c, d] array reply as its pairs.
std::vector<std::pair<std::string, std::string>> pairs_of(const redis::reply& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    out.emplace_back(r.elements[i].text, r.elements[i + 1].text);
  }
  return out;
}

std::string as_text(const std::vector<std::pair<std::string, std::string>>& pairs, char between,
                    std::string_view open, std::string_view close) {
  std::vector<std::string> parts;
  parts.reserve(pairs.size());
  for (const auto& [a, b] : pairs) {
    parts.push_back(a);
    parts.back() += between;
    parts.back() += b;
  }
  return joined(parts, open, close);
}

awaitable<void> run_one(redis::connection& conn, const redis::script& s, const script_test::call& c,
                        redis::reply& out, std::size_t& done) {
  const std::vector<std::string_view> keys(c.keys.begin(), c.keys.end());
  const std::vector<std::string_view> args(c.args.begin(), c.args.end());
  auto r = co_await conn.run(s, keys, args);
  if (r) {
    out = std::move(*r);
  } else {
    out = {.type = redis::reply::kind::error, .text = "not run: " + r.error().message()};
  }
  ++done;
}

}  // namespace

std::string shown(const redis::reply& r) {
  switch (r.type) {
    case redis::reply::kind::nil:
      return "nil";
    case redis::reply::kind::integer:
      return std::to_string(r.integer);
    case redis::reply::kind::string:
    case redis::reply::kind::status:
      return '"' + r.text + '"';
    case redis::reply::kind::error:
      return "(error) " + r.text;
    case redis::reply::kind::array: {
      std::vector<std::string> parts;
      for (const auto& e : r.elements) {
        parts.push_back(shown(e));
      }
      return joined(parts, "[", "]");
    }
  }
  return "?";
}

void script_test::SetUp() {
  std::string why;
  conn = std::make_unique<redis::connection>(
      io, redis::connection::options{.endpoint = *redis::parse_redis_url(server.url(), why)},
      nullptr);
  conn->start();
  ASSERT_TRUE(run_until(
      io, [&] { return conn->ready(); }, 5s));
}

redis::reply script_test::run(std::string_view script, const std::vector<std::string>& keys,
                              const std::vector<std::string>& args) {
  const redis::script s{std::string(script)};
  const std::vector<std::string_view> key_views(keys.begin(), keys.end());
  const std::vector<std::string_view> arg_views(args.begin(), args.end());
  auto r = test::run(io, conn->run(s, key_views, arg_views));
  if (!r) {
    ADD_FAILURE() << "script not run: " << r.error().message();
    return {};
  }
  return *r;
}

std::vector<redis::reply> script_test::run_all(std::string_view script,
                                               const std::vector<call>& calls) {
  const redis::script s{std::string(script)};
  std::vector<redis::reply> out(calls.size());
  std::size_t done = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    net::co_spawn(io, run_one(*conn, s, calls[i], out[i], done), net::detached);
  }
  if (!run_until(
          io, [&] { return done == calls.size(); }, 30s)) {
    ADD_FAILURE() << "Redis did not answer " << calls.size() - done << " calls in 30 s";
    conn->close();  // fails the calls still waiting, which then let go of `out` and `done`
    run_until(
        io, [&] { return done == calls.size(); }, 30s);
  }
  return out;
}

redis::reply script_test::command(const std::vector<std::string>& args) {
  const std::vector<std::string_view> views(args.begin(), args.end());
  auto r = test::run(io, conn->command(views));
  if (!r) {
    ADD_FAILURE() << args.front() << " not sent: " << r.error().message();
    return {};
  }
  return *r;
}

std::string script_test::contents(const std::string& key) {
  const auto type = command({"TYPE", key}).text;
  std::string out;
  if (type == "none") {
    return "none";
  } else if (type == "string") {
    out = command({"GET", key}).text;
  } else if (type == "hash") {
    auto fields = pairs_of(command({"HGETALL", key}));
    std::sort(fields.begin(), fields.end());
    out = as_text(fields, '=', "{", "}");
  } else if (type == "zset") {
    out = as_text(pairs_of(command({"ZRANGE", key, "0", "-1", "WITHSCORES"})), ':', "{", "}");
  } else if (type == "list") {
    std::vector<std::string> items;
    for (const auto& e : command({"LRANGE", key, "0", "-1"}).elements) {
      items.push_back(e.text);
    }
    out = joined(items, "[", "]");
  } else if (type == "set") {
    std::vector<std::string> members;
    for (const auto& e : command({"SMEMBERS", key}).elements) {
      members.push_back(e.text);
    }
    std::sort(members.begin(), members.end());
    out = joined(members, "(", ")");
  } else if (type == "stream") {
    std::vector<std::string> entries;
    for (const auto& e : command({"XRANGE", key, "-", "+"}).elements) {
      entries.push_back(as_text(pairs_of(e.elements.at(1)), '=', "{", "}"));
    }
    out = joined(entries, "[", "]");
  } else {
    out = "(" + type + ")";
  }
  if (auto ms = command({"PTTL", key}).integer; ms > 0) {
    out += " ttl=" + std::to_string((ms + 999) / 1000) + "s";
  }
  return out;
}

std::map<std::string, std::string> script_test::everything() {
  std::map<std::string, std::string> out;
  for (const auto& key : command({"KEYS", "*"}).elements) {
    out[key.text] = contents(key.text);
  }
  return out;
}

void script_test::check(std::string_view script, const std::vector<script_row>& rows) {
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    ASSERT_EQ(command({"FLUSHALL"}).text, "OK");
    for (const auto& given : row.given) {
      auto r = command(given);
      ASSERT_FALSE(r.is_error()) << given.front() << ": " << r.text;
    }
    EXPECT_EQ(shown(run(script, row.keys, row.args)), row.reply);
    EXPECT_EQ(everything(), row.after);
  }
}

}  // namespace supportd::test

// The structured log as whoever reads it sees it: one JSON object per line on standard output,
// only the levels asked for, every string escaped so a line stays one parseable line whatever
// bytes it carries, and lines from many threads never mixed.
#include "log/logger.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace supportd::log {
namespace {

using namespace std::string_literals;

// Sends standard output (file descriptor 1, which the logger writes to) to a temporary file
// until stop() or destruction. gtest prints to standard output too: nothing is asserted while
// the capture is on.
class stdout_capture {
 public:
  stdout_capture() : file_(std::tmpfile()) {
    std::fflush(stdout);
    saved_ = ::dup(STDOUT_FILENO);
    ::dup2(::fileno(file_), STDOUT_FILENO);
  }
  ~stdout_capture() {
    stop();
    std::fclose(file_);
  }
  stdout_capture(const stdout_capture&) = delete;
  stdout_capture& operator=(const stdout_capture&) = delete;

  void stop() {
    if (saved_ >= 0) {
      ::dup2(saved_, STDOUT_FILENO);
      ::close(saved_);
      saved_ = -1;
    }
  }

  // Everything written so far.
  std::string text() const {
    struct stat st {};
    ::fstat(::fileno(file_), &st);
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    auto n = ::pread(::fileno(file_), out.data(), out.size(), 0);
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return out;
  }

 private:
  std::FILE* file_;
  int saved_ = -1;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  EXPECT_EQ(start, text.size()) << "output does not end with a newline";
  return lines;
}

boost::json::object parsed(const std::string& line, bool allow_invalid_utf8 = false) {
  boost::json::parse_options options;
  options.allow_invalid_utf8 = allow_invalid_utf8;
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec, {}, options);
  EXPECT_FALSE(ec) << ec.message() << ": " << line;
  return value.is_object() ? value.as_object() : boost::json::object();
}

std::string text_of(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "<missing>"s;
}

class Logger : public ::testing::Test {
 protected:
  void TearDown() override { set_level(level::info); }
};

TEST_F(Logger, OnlyTheLevelsAskedForAreWritten) {
  stdout_capture out;
  set_level(level::warn);
  debug("d");
  info("i");
  warn("w");
  error("e");
  set_level(level::debug);
  debug("d2");
  set_level(level::error);
  warn("w2");
  error("e2");
  const bool warn_enabled_at_error = enabled(level::warn);
  const bool error_enabled_at_error = enabled(level::error);
  out.stop();

  std::vector<std::string> seen;
  for (const auto& line : lines_of(out.text())) {
    auto o = parsed(line);
    seen.push_back(text_of(o, "level") + ":" + text_of(o, "msg"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"warn:w", "error:e", "debug:d2", "error:e2"}));
  EXPECT_FALSE(warn_enabled_at_error);
  EXPECT_TRUE(error_enabled_at_error);
}

TEST_F(Logger, LevelNamesAreTheLowerCaseOnes) {
  EXPECT_EQ(parse_level("debug"), level::debug);
  EXPECT_EQ(parse_level("info"), level::info);
  EXPECT_EQ(parse_level("warn"), level::warn);
  EXPECT_EQ(parse_level("error"), level::error);
  for (auto other : {"", "INFO", "Warn", "warning", "fatal", "info "}) {
    EXPECT_EQ(parse_level(other), std::nullopt) << other;
  }
}

TEST_F(Logger, ALineIsTimeLevelMessageThenTheFieldsInOrderWithTheirTypes) {
  stdout_capture out;
  const auto before = std::chrono::system_clock::now();
  info("request", {{"route", "/v1/pledges"},
                   {"status", 201},
                   {"offset", std::int64_t{-5}},
                   {"duration_ms", 12.3456},
                   {"replayed", false},
                   {"ok", true}});
  const auto after = std::chrono::system_clock::now();
  out.stop();

  auto lines = lines_of(out.text());
  ASSERT_EQ(lines.size(), 1u);
  auto o = parsed(lines[0]);
  std::vector<std::string> keys;
  for (const auto& kv : o) {
    keys.emplace_back(kv.key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"ts", "level", "msg", "route", "status", "offset",
                                            "duration_ms", "replayed", "ok"}));
  EXPECT_EQ(text_of(o, "level"), "info");
  EXPECT_EQ(text_of(o, "msg"), "request");
  EXPECT_EQ(text_of(o, "route"), "/v1/pledges");
  EXPECT_EQ(o.at("status").as_int64(), 201);
  EXPECT_EQ(o.at("offset").as_int64(), -5);
  EXPECT_TRUE(o.at("ok").as_bool());
  EXPECT_FALSE(o.at("replayed").as_bool());
  // Milliseconds to three places, as written.
  EXPECT_NE(lines[0].find(R"("duration_ms":12.346,)"), std::string::npos) << lines[0];

  // RFC 3339 in UTC with milliseconds, within the call.
  const auto ts = text_of(o, "ts");
  ASSERT_TRUE(std::regex_match(ts, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << ts;
  std::tm utc{};
  int millis = 0;
  ASSERT_EQ(std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &utc.tm_year, &utc.tm_mon,
                        &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis),
            7);
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const auto logged =
      std::chrono::system_clock::from_time_t(::timegm(&utc)) + std::chrono::milliseconds(millis);
  EXPECT_GE(logged, std::chrono::floor<std::chrono::milliseconds>(before));
  EXPECT_LE(logged, after);
}

TEST_F(Logger, QuotesBackslashesAndControlCharactersAreEscapedInMessagesKeysAndValues) {
  const auto nasty = "say \"hi\"\\ \n\r\t and \x01\x1f\x7f and a NUL: "s + '\0' + " end";
  stdout_capture out;
  warn(nasty, {{nasty, nasty}, {"after", "still here"}});
  out.stop();

  const auto text = out.text();
  auto lines = lines_of(text);
  ASSERT_EQ(lines.size(), 1u) << "a newline in a value split the line";
  EXPECT_EQ(lines[0].find('\0'), std::string::npos);
  EXPECT_EQ(lines[0].find('\x7f'), std::string::npos);
  EXPECT_NE(lines[0].find(R"(say \"hi\"\\ \n\r\t and \u0001\u001f\u007f and a NUL: \u0000 end)"),
            std::string::npos)
      << lines[0];
  auto o = parsed(lines[0]);
  EXPECT_EQ(text_of(o, "msg"), nasty);
  EXPECT_EQ(text_of(o, nasty), nasty);
  EXPECT_EQ(text_of(o, "after"), "still here");
}

// Text from outside (an exception's message, an error reply) may be any bytes. UTF-8 is written
// as it is, readable; bytes that are not UTF-8 are passed through as they came (a reader that
// accepts them still gets the whole line: nothing after them is lost or shifted).
TEST_F(Logger, OddBytesAndHugeValuesKeepTheLineWhole) {
  const auto utf8 = "Zahlung fehlgeschlagen: 5 € für Zoë"s;
  const auto not_utf8 = "\xff\xfe broken \xe2\x82 truncated \xc0\xaf overlong"s;
  const std::string huge(200'000, 'x');
  stdout_capture out;
  error(utf8, {{"error", not_utf8}, {"body_size", 3}});
  error("huge", {{"value", huge}, {"after", true}});
  out.stop();

  auto lines = lines_of(out.text());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("5 € für Zoë"), std::string::npos) << "UTF-8 was escaped or mangled";
  auto first = parsed(lines[0], /*allow_invalid_utf8=*/true);
  EXPECT_EQ(text_of(first, "msg"), utf8);
  EXPECT_EQ(text_of(first, "error"), not_utf8);
  EXPECT_EQ(first.at("body_size").as_int64(), 3);
  auto second = parsed(lines[1]);
  EXPECT_EQ(text_of(second, "value"), huge);
  EXPECT_TRUE(second.at("after").as_bool());
}

// Eight threads at once: every line arrives whole, none mixed with another.
TEST_F(Logger, LinesFromManyThreadsNeverInterleave) {
  constexpr int threads = 8;
  constexpr int per_thread = 300;
  stdout_capture out;
  {
    std::vector<std::jthread> writers;
    for (int t = 0; t < threads; ++t) {
      writers.emplace_back([t] {
        const std::string filler(300 + 50 * t, static_cast<char>('a' + t));
        for (int i = 0; i < per_thread; ++i) {
          warn("from a thread", {{"thread", t}, {"i", i}, {"filler", filler}});
        }
      });
    }
  }
  out.stop();

  auto lines = lines_of(out.text());
  ASSERT_EQ(lines.size(), std::size_t{threads * per_thread});
  std::vector<int> next(threads, 0);
  for (const auto& line : lines) {
    auto o = parsed(line);
    ASSERT_TRUE(o.contains("thread")) << line.substr(0, 200);
    auto t = static_cast<int>(o.at("thread").as_int64());
    ASSERT_GE(t, 0);
    ASSERT_LT(t, threads);
    EXPECT_EQ(text_of(o, "filler"), std::string(300 + 50 * t, static_cast<char>('a' + t)));
    // Each thread's lines in the order it wrote them.
    EXPECT_EQ(o.at("i").as_int64(), next[t]++);
  }
}

// A worker thread batches debug and info lines and writes them at its tick (flush_thread) or
// when the batch passes 32 KiB; a warning or an error goes out at once, after the lines before it.
TEST_F(Logger, ABatchingThreadKeepsItsLinesInOrderAndAWarningFlushesThem) {
  stdout_capture out;
  std::string before_warning, after_warning, after_many, after_flush;
  std::thread worker([&] {
    buffer_thread();
    info("first");
    before_warning = out.text();
    warn("second");
    after_warning = out.text();
    info("third");
    for (int i = 0; i < 1000; ++i) {
      info("busy", {{"i", i}, {"path", "/v1/pledges/pl_0123456789abcdef"}});
    }
    after_many = out.text();
    flush_thread();
    after_flush = out.text();
  });
  worker.join();
  out.stop();

  EXPECT_EQ(before_warning, "") << "an info line of a batching thread went out alone";
  auto lines = lines_of(after_warning);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(text_of(parsed(lines[0]), "msg"), "first");
  EXPECT_EQ(text_of(parsed(lines[1]), "msg"), "second");
  // About 100 KiB of lines: most were written as the batch filled, the rest wait for the tick.
  EXPECT_GT(after_many.size(), after_warning.size() + 32 * 1024);
  EXPECT_LT(after_many.size(), after_flush.size());
  EXPECT_LT(after_flush.size() - after_many.size(), 33 * 1024u);
  lines = lines_of(after_flush);
  ASSERT_EQ(lines.size(), 1003u);
  EXPECT_EQ(text_of(parsed(lines[2]), "msg"), "third");
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(parsed(lines[3 + i]).at("i").as_int64(), i);
  }
}

// When whoever reads the log has gone (a closed pipe), writes fail with EPIPE, as supportd's
// main() arranges by ignoring SIGPIPE: the service neither dies nor blocks, and logs again once
// there is somewhere to write.
TEST_F(Logger, AReaderThatWentAwayStopsNothing) {
  auto previous = std::signal(SIGPIPE, SIG_IGN);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ::close(pipe_fds[0]);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(pipe_fds[1], STDOUT_FILENO);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    error("nobody reads this", {{"i", i}});
  }
  const auto took = std::chrono::steady_clock::now() - started;
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(pipe_fds[1]);
  std::signal(SIGPIPE, previous);
  EXPECT_LT(took, std::chrono::seconds(1));

  stdout_capture out;
  error("back");
  out.stop();
  auto lines = lines_of(out.text());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(text_of(parsed(lines[0]), "msg"), "back");
}

}  // namespace
}  // namespace supportd::log

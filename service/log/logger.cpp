#include "log/logger.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace supportd::log {
namespace {

std::atomic<level> min_level_{level::info};

std::string_view level_name(level at) {
  switch (at) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

void append_timestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  auto n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                         utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                         utc.tm_sec, static_cast<int>(millis.count()));
  out.append(buffer, static_cast<std::size_t>(n));
}

void write_all(std::string_view line) {
  while (!line.empty()) {
    auto n = ::write(STDOUT_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // Nowhere to log to; the service goes on.
    }
    line.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Batched lines of a thread that asked for batching.
struct thread_batch {
  bool enabled = false;
  std::string lines;
};
thread_local thread_batch batch;

constexpr std::size_t batch_limit = std::size_t{32} * 1024;

}  // namespace

void buffer_thread() {
  batch.enabled = true;
  batch.lines.reserve(batch_limit + 1024);
}

void flush_thread() {
  if (!batch.lines.empty()) {
    write_all(batch.lines);
    batch.lines.clear();
  }
}

std::optional<level> parse_level(std::string_view text) {
  for (auto candidate : {level::debug, level::info, level::warn, level::error}) {
    if (text == level_name(candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

void set_level(level min_level) {
  min_level_.store(min_level, std::memory_order_relaxed);
}

bool enabled(level at) {
  return at >= min_level_.load(std::memory_order_relaxed);
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  // Runs of characters that need no escape are copied whole: most text is one such run.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\' && u != 0x7f) {
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex[u >> 4];
        out += hex[u & 0xf];
    }
  }
  out.append(text.data() + run, text.size() - run);
}

void write(level at, std::string_view message, std::initializer_list<field> fields) {
  if (!enabled(at)) {
    return;
  }
  // Batched lines are formatted straight into the batch; others into a reused buffer.
  const bool batched = batch.enabled && at <= level::info;
  thread_local std::string unbatched;
  std::string& line = batched ? batch.lines : unbatched;
  if (!batched) {
    flush_thread();
    line.clear();
  }
  line += R"({"ts":")";
  append_timestamp(line);
  line += R"(","level":")";
  line += level_name(at);
  line += R"(","msg":")";
  append_json_escaped(line, message);
  line += '"';
  for (const auto& f : fields) {
    line += ",\"";
    append_json_escaped(line, f.key);
    line += "\":";
    if (auto* s = std::get_if<std::string_view>(&f.value)) {
      line += '"';
      append_json_escaped(line, *s);
      line += '"';
    } else if (auto* i = std::get_if<std::int64_t>(&f.value)) {
      char buffer[24];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *i);
      line.append(buffer, end);
    } else if (auto* d = std::get_if<double>(&f.value)) {
      char buffer[64];
      auto [end, ec] =
          std::to_chars(buffer, buffer + sizeof buffer, *d, std::chars_format::fixed, 3);
      line.append(buffer, ec == std::errc{} ? end : buffer);
    } else {
      line += std::get<bool>(f.value) ? "true" : "false";
    }
  }
  line += "}\n";
  if (!batched) {
    write_all(line);
  } else if (batch.lines.size() >= batch_limit) {
    flush_thread();
  }
}

}  // namespace supportd::log

// Structured logs: one JSON object per line on standard output.
//
// Thread-safe: lines go out in whole writes, so lines from different threads never interleave.
// A thread that calls buffer_thread() (the worker threads) collects its debug and info lines and
// writes them in batches, when the batch grows or at flush_thread() (each worker's tick, a tenth
// of a second): a busy server then makes one write per batch, not per request. Warnings and
// errors are written at once, after the batch before them.
//
// Callers pass only fields that are safe to log: never bodies, emails or secrets.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace supportd::log {

enum class level { debug, info, warn, error };

std::optional<level> parse_level(std::string_view text);

struct field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;

  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  field(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  field(std::string_view k, unsigned v) : key(k), value(std::int64_t{v}) {}
  field(std::string_view k, std::uint64_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  field(std::string_view k, double v) : key(k), value(v) {}
  field(std::string_view k, bool v) : key(k), value(v) {}
};

void set_level(level min_level);

void buffer_thread();
void flush_thread();
bool enabled(level at);

// Writes {"ts":…,"level":…,"msg":…, fields…}.
void write(level at, std::string_view message, std::initializer_list<field> fields = {});

inline void debug(std::string_view m, std::initializer_list<field> f = {}) {
  write(level::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<field> f = {}) {
  write(level::info, m, f);
}
inline void warn(std::string_view m, std::initializer_list<field> f = {}) {
  write(level::warn, m, f);
}
inline void error(std::string_view m, std::initializer_list<field> f = {}) {
  write(level::error, m, f);
}

// Appends `text` to `out` as the inside of a JSON string (no quotes).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace supportd::log

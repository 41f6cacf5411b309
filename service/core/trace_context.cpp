#include "core/trace_context.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

namespace supportd {
namespace {

// Trace and parent ids need to be unique, not secret: a per-thread generator is enough.
std::uint64_t random_word() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  return generator();
}

void fill_hex(char* out, std::size_t n) {
  constexpr char digits[] = "0123456789abcdef";
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) {
      bits = random_word();
    }
    out[i] = digits[bits & 0xf];
    bits >>= 4;
  }
}

bool lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

}  // namespace

trace_context trace_context::start() {
  trace_context t;
  do {
    fill_hex(t.trace_id_.data(), t.trace_id_.size());
  } while (all_zero(t.trace_id()));
  return t;
}

trace_context trace_context::continue_or_start(std::string_view header) {
  // Version 00 is exactly 55 characters; a later version may append fields after a '-'.
  if (header.size() < 55 || (header.size() > 55 && header[55] != '-') || header[2] != '-' ||
      header[35] != '-' || header[52] != '-') {
    return start();
  }
  auto version = header.substr(0, 2);
  auto trace_id = header.substr(3, 32);
  auto parent_id = header.substr(36, 16);
  auto flags = header.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || (version == "00" && header.size() != 55) ||
      !lower_hex(trace_id) || all_zero(trace_id) || !lower_hex(parent_id) || all_zero(parent_id) ||
      !lower_hex(flags)) {
    return start();
  }
  trace_context t;
  std::copy(trace_id.begin(), trace_id.end(), t.trace_id_.begin());
  // Only the sampled bit (the lowest) is defined; pass on that, not bits we do not know.
  const char last = flags[1];
  const int low_nibble = last <= '9' ? last - '0' : last - 'a' + 10;
  t.flags_[1] = (low_nibble & 1) != 0 ? '1' : '0';
  return t;
}

std::string trace_context::child_traceparent() const {
  std::string out = "00-";
  out.append(trace_id_.data(), trace_id_.size());
  out += '-';
  std::array<char, 16> parent{};
  do {
    fill_hex(parent.data(), parent.size());
  } while (all_zero({parent.data(), parent.size()}));
  out.append(parent.data(), parent.size());
  out += '-';
  out.append(flags_.data(), flags_.size());
  return out;
}

}  // namespace supportd

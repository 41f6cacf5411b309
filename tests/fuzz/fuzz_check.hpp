// What the fuzz targets share: invariants that abort when broken (so libFuzzer keeps the input as
// a crash, with the invariant's words on stderr), and the input as text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace supportd::fuzz {

inline void expect(bool holds, const char* invariant) {
  if (!holds) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
    std::abort();
  }
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The text before the first newline and the text after it (empty when there is none): targets
// that take two inputs read them this way, so seeds stay readable.
struct two_parts {
  std::string_view first;
  std::string_view rest;
};

inline two_parts split_first_line(std::string_view text) {
  auto newline = text.find('\n');
  if (newline == std::string_view::npos) {
    return {text, {}};
  }
  return {text.substr(0, newline), text.substr(newline + 1)};
}

}  // namespace supportd::fuzz

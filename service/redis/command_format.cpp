#include "redis/command_format.hpp"

#include <charconv>

namespace supportd::redis {
namespace {

void append_header(std::string& out, char kind, std::size_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out += kind;
  out.append(digits, end);
  out += "\r\n";
}

}  // namespace

void append_command(std::string& out, std::span<const std::string_view> args) {
  std::size_t size = 16;
  for (auto arg : args) {
    size += arg.size() + 16;
  }
  out.reserve(out.size() + size);
  append_header(out, '*', args.size());
  for (auto arg : args) {
    append_header(out, '$', arg.size());
    out += arg;
    out += "\r\n";
  }
}

}  // namespace supportd::redis

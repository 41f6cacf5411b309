#include "common/card_screen.hpp"

#include <boost/json/value.hpp>
#include <string>

namespace supportd::common {

bool passes_luhn(std::string_view digits) {
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    double_it = !double_it;
  }
  return !digits.empty() && sum % 10 == 0;
}

bool looks_like_card_number(std::string_view text) {
  std::string run;
  // Only whole runs count: windows of longer digit runs (ids, timestamps) would pass Luhn one
  // time in ten and refuse honest input.
  auto check_run = [&] { return run.size() >= 13 && run.size() <= 19 && passes_luhn(run); };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      run += c;
      continue;
    }
    // A stretch of separators inside a run joins the digits on both sides of it.
    auto is_separator = [](char s) { return s == ' ' || s == '-' || s == '.'; };
    if (is_separator(c) && !run.empty()) {
      auto next = i;
      while (next < text.size() && is_separator(text[next])) {
        ++next;
      }
      if (next < text.size() && text[next] >= '0' && text[next] <= '9') {
        i = next - 1;
        continue;
      }
    }
    if (check_run()) {
      return true;
    }
    run.clear();
  }
  return check_run();
}

namespace {

bool strings_hold_card_number(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string:
      return looks_like_card_number(value.get_string());
    case boost::json::kind::array:
      for (const auto& item : value.get_array()) {
        if (strings_hold_card_number(item)) {
          return true;
        }
      }
      return false;
    case boost::json::kind::object:
      for (const auto& member : value.get_object()) {
        if (strings_hold_card_number(member.value())) {
          return true;
        }
      }
      return false;
    default:
      return false;
  }
}

// The integer digits of one JSON number token ("-4.1e3" -> "4100"), at most 40 of them.
std::string integer_digits(std::string_view token) {
  std::string whole, fraction;
  long exponent = 0;
  std::size_t i = token.starts_with('-') ? 1 : 0;
  for (; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i) {
    whole += token[i];
  }
  if (i < token.size() && token[i] == '.') {
    for (++i; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i) {
      fraction += token[i];
    }
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    const bool negative = i < token.size() && token[i] == '-';
    if (i < token.size() && (token[i] == '-' || token[i] == '+')) {
      ++i;
    }
    for (; i < token.size() && token[i] >= '0' && token[i] <= '9' && exponent < 100; ++i) {
      exponent = exponent * 10 + (token[i] - '0');
    }
    exponent = negative ? -exponent : exponent;
  }
  const long length = static_cast<long>(whole.size()) + exponent;
  if (length <= 0 || length > 40) {
    return {};
  }
  std::string digits = whole + fraction;
  digits.resize(static_cast<std::size_t>(length), '0');
  return digits;
}

}  // namespace

bool holds_card_number(std::string_view json_text, const boost::json::value& parsed) {
  if (strings_hold_card_number(parsed)) {
    return true;
  }
  // Numbers, from the text: outside strings, a token that starts with '-' or a digit.
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    const char c = json_text[i];
    if (c == '"') {
      for (++i; i < json_text.size() && json_text[i] != '"'; ++i) {
        if (json_text[i] == '\\') {
          ++i;
        }
      }
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      auto end = json_text.find_first_not_of("0123456789+-.eE", i);
      end = end == std::string_view::npos ? json_text.size() : end;
      if (looks_like_card_number(integer_digits(json_text.substr(i, end - i)))) {
        return true;
      }
      i = end - 1;
    }
  }
  return false;
}

}  // namespace supportd::common

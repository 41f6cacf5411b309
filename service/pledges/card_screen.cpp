#include "pledges/card_screen.hpp"

#include <string>

namespace supportd::pledges {

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
    const bool separator = (c == ' ' || c == '-') && !run.empty() && i + 1 < text.size() &&
                           text[i + 1] >= '0' && text[i + 1] <= '9';
    if (separator) {
      continue;
    }
    if (check_run()) {
      return true;
    }
    run.clear();
  }
  return check_run();
}

http::field_error card_number_error() {
  return {"body", "card_number",
          "A value looks like a card number. Card details are entered only on the payment "
          "provider's page, never sent here."};
}

}  // namespace supportd::pledges

#include "reports/report_counter.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace supportd::reports {
namespace {

constexpr std::array<std::string_view, all_counters.size()> counter_names = {
    "pledges_created",     "pledges_paid",           "pledges_abandoned",   "pledges_failed",
    "first_payment_minor", "recurring_started",      "canceled_within_30d", "reminders_signed_up",
    "reminders_delivered", "reminders_unsubscribed", "reminders_converted"};

constexpr std::int64_t ms_per_day = 86'400'000;

}  // namespace

std::string_view to_string(report_counter c) {
  return counter_names[static_cast<std::size_t>(c)];
}

std::optional<report_counter> parse_counter(std::string_view text) {
  for (std::size_t i = 0; i < counter_names.size(); ++i) {
    if (counter_names[i] == text) {
      return all_counters[i];
    }
  }
  return std::nullopt;
}

std::string group_prefix(const report_group& g) {
  std::string out;
  out.reserve(g.campaign.size() + g.component.size() + g.variant.size() + g.currency.size() +
              g.interval.size() + 8);
  for (const auto* part : {&g.campaign, &g.component, &g.variant, &g.currency, &g.interval}) {
    out += *part;
    out += '|';
  }
  return out;
}

std::string counter_field(const report_group& g, report_counter c) {
  return group_prefix(g) += to_string(c);
}

std::optional<parsed_field> parse_counter_field(std::string_view field) {
  std::array<std::string_view, 6> parts;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto bar = field.find('|');
    if (i + 1 == parts.size()) {
      if (bar != std::string_view::npos) {
        return std::nullopt;
      }
      parts[i] = field;
    } else {
      if (bar == std::string_view::npos) {
        return std::nullopt;
      }
      parts[i] = field.substr(0, bar);
      field.remove_prefix(bar + 1);
    }
  }
  auto counter = parse_counter(parts[5]);
  if (!counter) {
    return std::nullopt;
  }
  return parsed_field{{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                       std::string(parts[3]), std::string(parts[4])},
                      *counter};
}

std::int64_t day_of(std::int64_t unix_ms) {
  // Floor division: a time before 1970 belongs to the day it falls in.
  return unix_ms >= 0 ? unix_ms / ms_per_day : -((-unix_ms + ms_per_day - 1) / ms_per_day);
}

std::string day_text(std::int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

std::optional<std::int64_t> parse_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + n, value);
    if (ec != std::errc{} || end != text.data() + at + n) {
      return std::nullopt;
    }
    return value;
  };
  auto y = number(0, 4);
  auto m = number(5, 2);
  auto d = number(8, 2);
  if (!y || !m || !d) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{*y},
                                        std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::string day_key(std::string_view prefix, std::int64_t day) {
  std::string key(prefix);
  key += "report:";
  key += day_text(day);
  return key;
}

std::int64_t day_expires_at(std::int64_t day) {
  return (day + 1 + kept_days) * 86'400;
}

std::string delivery_mark_key(std::string_view prefix, std::string_view reader_campaign_key) {
  std::string key(prefix);
  key += "report:delivered:";
  key += reader_campaign_key;
  return key;
}

std::int64_t day_keep_seconds(std::int64_t unix_ms) {
  return std::max<std::int64_t>(1, day_expires_at(day_of(unix_ms)) - unix_ms / 1000);
}

report_tally tally_for_day(std::string_view prefix, std::int64_t unix_ms) {
  return {day_key(prefix, day_of(unix_ms)), std::to_string(day_keep_seconds(unix_ms)), {}};
}

}  // namespace supportd::reports

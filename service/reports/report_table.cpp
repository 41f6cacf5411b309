#include "reports/report_table.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cstdio>
#include <optional>
#include <set>

namespace supportd::reports {
namespace {

const std::string& member(const report_group& g, report_dimension d) {
  switch (d) {
    case report_dimension::campaign:
      return g.campaign;
    case report_dimension::component:
      return g.component;
    case report_dimension::variant:
      return g.variant;
    case report_dimension::currency:
      return g.currency;
    case report_dimension::interval:
      break;
  }
  return g.interval;
}

// A ratio with four decimals ("0.6667"), or nullopt when there is nothing to divide by.
std::optional<std::string> ratio(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) {
    return std::nullopt;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", static_cast<double>(part) / static_cast<double>(whole));
  return text;
}

std::optional<std::string> checkout_conversion(const report_row& r) {
  return ratio(r[report_counter::pledges_paid], r[report_counter::pledges_created]);
}

std::optional<std::string> reminder_conversion(const report_row& r) {
  return ratio(r[report_counter::reminders_converted], r[report_counter::reminders_delivered]);
}

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

std::set<std::string, std::less<>> currencies_of(const std::vector<report_row>& rows) {
  std::set<std::string, std::less<>> out;
  for (const auto& r : rows) {
    for (const auto& [currency, amount] : r.first_payment_minor) {
      out.insert(currency);
    }
  }
  return out;
}

// A CSV field (RFC 4180 §2): quoted when it holds a comma, quote or line break.
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(s);
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  return out + '"';
}

}  // namespace

report_table::report_table(std::vector<report_dimension> by) : by_(std::move(by)) {
  if (by_.empty()) {
    rows_[{}];  // the totals row, there even when nothing happened
  }
}

void report_table::add(std::string_view field, std::int64_t value) {
  auto parsed = parse_counter_field(field);
  if (!parsed) {
    ++skipped_;
    return;
  }
  std::vector<std::string> key;
  key.reserve(by_.size());
  for (auto d : by_) {
    key.push_back(member(parsed->group, d));
  }
  auto& row = rows_[key];
  if (row.key.size() != key.size()) {
    row.key = std::move(key);
  }
  if (parsed->counter == report_counter::first_payment_minor) {
    row.first_payment_minor[parsed->group.currency] += value;
  } else {
    row.counts[static_cast<std::size_t>(parsed->counter)] += value;
  }
}

std::vector<report_row> report_table::rows() const {
  std::vector<report_row> out;
  out.reserve(rows_.size());
  for (const auto& [key, row] : rows_) {
    out.push_back(row);
  }
  return out;
}

std::string to_json(const report_query& q, const std::vector<report_row>& rows) {
  std::string out =
      R"({"from":")" + day_text(q.from_day) + R"(","to":")" + day_text(q.to_day) + R"(","by":[)";
  for (std::size_t i = 0; i < q.by.size(); ++i) {
    out += i == 0 ? "\"" : ",\"";
    out += to_string(q.by[i]);
    out += '"';
  }
  out += R"(],"rows":[)";
  bool first_row = true;
  for (const auto& r : rows) {
    out += first_row ? "{" : ",{";
    first_row = false;
    for (std::size_t i = 0; i < q.by.size(); ++i) {
      out += '"';
      out += to_string(q.by[i]);
      out += "\":";
      out += json_string(r.key[i]);
      out += ',';
    }
    for (auto c : all_counters) {
      out += '"';
      out += to_string(c);
      out += "\":";
      if (c == report_counter::first_payment_minor) {
        out += '{';
        bool first = true;
        for (const auto& [currency, amount] : r.first_payment_minor) {
          out += first ? "" : ",";
          first = false;
          out += json_string(currency) + ':' + std::to_string(amount);
        }
        out += '}';
      } else {
        out += std::to_string(r[c]);
      }
      out += ',';
    }
    out += R"("checkout_conversion":)" + checkout_conversion(r).value_or("null");
    out += R"(,"reminder_conversion":)" + reminder_conversion(r).value_or("null") + "}";
  }
  out += "]}";
  return out;
}

std::string to_csv(const report_query& q, const std::vector<report_row>& rows) {
  const auto currencies = currencies_of(rows);
  std::string out;
  std::string_view separator;
  auto column = [&](std::string_view text) {
    out += separator;
    out += csv_field(text);
    separator = ",";
  };
  for (auto d : q.by) {
    column(to_string(d));
  }
  for (auto c : all_counters) {
    if (c != report_counter::first_payment_minor) {
      column(to_string(c));
      continue;
    }
    for (const auto& currency : currencies) {
      column("first_payment_minor_" + currency);
    }
  }
  column("checkout_conversion");
  column("reminder_conversion");
  out += "\r\n";
  for (const auto& r : rows) {
    separator = "";
    for (const auto& value : r.key) {
      column(value);
    }
    for (auto c : all_counters) {
      if (c != report_counter::first_payment_minor) {
        column(std::to_string(r[c]));
        continue;
      }
      for (const auto& currency : currencies) {
        auto it = r.first_payment_minor.find(currency);
        column(std::to_string(it == r.first_payment_minor.end() ? 0 : it->second));
      }
    }
    column(checkout_conversion(r).value_or(""));
    column(reminder_conversion(r).value_or(""));
    out += "\r\n";
  }
  return out;
}

}  // namespace supportd::reports

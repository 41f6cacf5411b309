#include "reports/report_metrics.hpp"

#include <array>

#include "common/money.hpp"
#include "http/field_checks.hpp"

namespace supportd::reports {

std::string_view component_label(std::string_view component) {
  static constexpr std::array<std::string_view, 11> known = {
      "banner",     "epic",    "thank-you",    "header", "footer",  "popup",
      "newsletter", "article", "landing-page", "app",    "reminder"};
  for (auto k : known) {
    if (k == component) {
      return k;
    }
  }
  return component.empty() ? "none" : "other";
}

std::optional<std::vector<std::string>> parse_report_campaigns(std::string_view text,
                                                               std::string& why) {
  std::vector<std::string> out;
  for (bool more = !text.empty(); more;) {
    auto comma = text.find(',');
    auto name = text.substr(0, comma);
    more = comma != std::string_view::npos;
    text = more ? text.substr(comma + 1) : std::string_view();
    if (name.empty() || !http::is_token(name)) {
      why = "campaign names are short identifiers (letters, digits, - _ . /), comma-separated";
      return std::nullopt;
    }
    out.emplace_back(name);
  }
  if (out.size() > max_report_campaigns) {
    why = "at most " + std::to_string(max_report_campaigns) +
          " campaigns: each is a Prometheus label value on every report counter";
    return std::nullopt;
  }
  return out;
}

report_metrics::report_metrics(metrics::registry& r, std::vector<std::string> campaigns)
    : events_(r.add_counter(
          "supportd_report_events_total",
          "What the reader-revenue report counts (counter: pledges_created, pledges_paid, "
          "pledges_abandoned, pledges_failed, recurring_started, canceled_within_30d, "
          "reminders_signed_up, reminders_delivered, reminders_unsubscribed, "
          "reminders_converted), by campaign (--report-campaigns, else other) and component.",
          {"counter", "campaign", "component"})),
      amounts_(r.add_counter("supportd_report_first_payment_minor_total",
                             "First payments of pledges in the currency's minor units, by "
                             "campaign (--report-campaigns, else other), component and "
                             "currency.",
                             {"campaign", "component", "currency"})),
      campaigns_(campaigns.begin(), campaigns.end()) {}

std::string_view report_metrics::campaign_label(std::string_view campaign) const {
  if (campaign.empty()) {
    return "none";
  }
  auto it = campaigns_.find(campaign);
  return it == campaigns_.end() ? std::string_view("other") : std::string_view(*it);
}

void report_metrics::count(std::string_view field, std::int64_t amount) const {
  auto parsed = parse_counter_field(field);
  if (!parsed || amount <= 0) {
    return;
  }
  const auto campaign = campaign_label(parsed->group.campaign);
  const auto component = component_label(parsed->group.component);
  if (parsed->counter == report_counter::first_payment_minor) {
    const auto currency = common::find_currency(parsed->group.currency)
                              ? std::string_view(parsed->group.currency)
                              : std::string_view("other");
    amounts_.with({campaign, component, currency}).inc(static_cast<std::uint64_t>(amount));
    return;
  }
  events_.with({to_string(parsed->counter), campaign, component})
      .inc(static_cast<std::uint64_t>(amount));
}

void report_metrics::count(std::span<const std::pair<std::string, std::int64_t>> added) const {
  for (const auto& [field, amount] : added) {
    count(field, amount);
  }
}

}  // namespace supportd::reports

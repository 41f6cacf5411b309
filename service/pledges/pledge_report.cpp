#include "pledges/pledge_report.hpp"

#include "common/url.hpp"

namespace supportd::pledges {

using reports::report_counter;

report_counts report_creation() {
  return {{report_counter::pledges_created, 1}};
}

bool is_first_payment(pledge_state before, pledge_state after) {
  return before == pledge_state::pending &&
         (after == pledge_state::paid || after == pledge_state::active);
}

report_counts report_change(const pledge_facts& p, pledge_state before, pledge_state after,
                            std::int64_t now_ms) {
  report_counts out;
  if (is_first_payment(before, after)) {
    out.emplace_back(report_counter::pledges_paid, 1);
    out.emplace_back(report_counter::first_payment_minor, p.amount_minor);
    if (after == pledge_state::active) {
      out.emplace_back(report_counter::recurring_started, 1);
    }
  } else if (before == pledge_state::pending && after == pledge_state::abandoned) {
    out.emplace_back(report_counter::pledges_abandoned, 1);
  } else if (before == pledge_state::pending && after == pledge_state::failed) {
    out.emplace_back(report_counter::pledges_failed, 1);
  } else if ((before == pledge_state::active || before == pledge_state::past_due) &&
             after == pledge_state::canceled &&
             now_ms - p.created_at_ms <=
                 std::chrono::milliseconds(reports::early_cancel_window).count()) {
    out.emplace_back(report_counter::canceled_within_30d, 1);
  }
  return out;
}

std::string give_link_conversion_field(const pledge_facts& p) {
  if (common::query_value(p.page_url, "source") != "reminder") {
    return {};
  }
  auto group = p.group;
  group.currency.clear();
  group.interval.clear();
  return reports::counter_field(group, report_counter::reminders_converted);
}

}  // namespace supportd::pledges

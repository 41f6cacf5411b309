#include "pledges/pledge_metrics.hpp"

namespace supportd::pledges {
namespace {

// Registered one after the other (the order of function arguments is unspecified, and the
// exposition lists families in registration order).
std::shared_ptr<recurring_gauges> recurring_gauges_in(metrics::registry& r) {
  auto& active = r.add_gauge("supportd_pledges_active",
                             "Active recurring pledges (monthly or yearly, active or past due), "
                             "by currency, as Redis holds them.",
                             {"currency"});
  auto& mrr_minor =
      r.add_gauge("supportd_pledges_mrr_minor",
                  "Monthly recurring revenue of the active recurring pledges, in the currency's "
                  "minor units (a yearly pledge adds its amount / 12, rounded down), by currency.",
                  {"currency"});
  return std::make_shared<recurring_gauges>(active, mrr_minor);
}

}  // namespace

pledge_metrics pledge_metrics::create(metrics::registry& r) {
  return {
      r.add_counter("supportd_pledges_created_total",
                    "Pledges created (handed to checkout), by currency, interval and the page "
                    "component they came from.",
                    {"currency", "interval", "component"}),
      r.add_counter("supportd_pledge_transitions_total", "Pledge state changes.", {"from", "to"}),
      r.add_counter("supportd_pledge_requests_refused_total",
                    "Pledge requests refused, by reason (invalid, card_number, rate_limited, "
                    "origin, idempotency_conflict, provider_unavailable, provider_rejected, "
                    "not_stored, not_replicated).",
                    {"reason"}),
      r.add_counter("supportd_pledge_changes_total",
                    "Readers' (and admins') changes to recurring pledges that changed something, "
                    "by change (amount_changed, paused, resumed), and card pages opened "
                    "(payment_page).",
                    {"change"}),
      recurring_gauges_in(r),
  };
}

void recurring_gauges::publish(const recurring_totals& totals) {
  std::lock_guard lock(mutex_);
  for (const auto& [currency, count] : totals.active) {
    shown_.insert(currency);
  }
  for (const auto& [currency, minor] : totals.mrr_minor) {
    shown_.insert(currency);
  }
  for (const auto& currency : shown_) {
    auto count = totals.active.find(currency);
    auto minor = totals.mrr_minor.find(currency);
    active_.with({currency}).set(count == totals.active.end() ? 0 : count->second);
    mrr_minor_.with({currency}).set(minor == totals.mrr_minor.end() ? 0 : minor->second);
  }
}

}  // namespace supportd::pledges

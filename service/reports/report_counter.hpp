// The reader-revenue report's counters: what is counted, per day (UTC) and per group, and how
// they are kept in Redis.
//
//   <prefix>report:<YYYY-MM-DD>   hash: `<campaign>|<component>|<variant>|<currency>|<interval>|
//                                 <counter>` -> integer, for the things that happened that day;
//                                 expires 400 days after the day ends
//   <prefix>report:delivered:<k>  the group (`<campaign>|<component>|<variant>||`) of the reminder
//                                 last delivered to a reader for a campaign (<k>: the
//                                 reader-campaign key of security/reader_hash.hpp), kept 30 days:
//                                 the reader's first payment for the campaign within them counts
//                                 as that reminder's conversion, once (the mark is taken)
//
// The scripts that change pledges and reminders add to the day's hash in the same script as the
// change (pledges/scripts/report_counts.lua, reminders/scripts/replace_reminders.lua), so a
// change is counted exactly once, whatever is retried or repeated. Campaign, component and
// variant are short identifiers (http::is_token: no `|`), currency an ISO 4217 code and interval
// once/month/year, so the field splits back unambiguously. Reminders have no currency or
// interval: theirs are empty. No reader is named in a counter, so erasure leaves them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supportd::reports {

enum class report_counter {
  pledges_created,
  pledges_paid,         // the first payment: pending -> paid (once) or active (recurring)
  pledges_abandoned,    // the checkout expired unpaid
  pledges_failed,       // a delayed payment method failed at checkout
  first_payment_minor,  // the amount of those first payments, minor units of the currency
  recurring_started,    // pending -> active
  canceled_within_30d,  // a started recurring pledge cancelled within 30 days of its creation
  reminders_signed_up,
  reminders_delivered,  // every delivery of every occurrence
  reminders_unsubscribed,
  reminders_converted,  // a first payment within 30 days of a delivery, or from a give link
};

inline constexpr std::array all_counters = {
    report_counter::pledges_created,     report_counter::pledges_paid,
    report_counter::pledges_abandoned,   report_counter::pledges_failed,
    report_counter::first_payment_minor, report_counter::recurring_started,
    report_counter::canceled_within_30d, report_counter::reminders_signed_up,
    report_counter::reminders_delivered, report_counter::reminders_unsubscribed,
    report_counter::reminders_converted};

std::string_view to_string(report_counter c);
std::optional<report_counter> parse_counter(std::string_view text);

// What a counter is kept per. Empty members are "none" (a pledge without a variant).
struct report_group {
  std::string campaign;
  std::string component;
  std::string variant;
  std::string currency;  // empty for reminders
  std::string interval;  // empty for reminders

  bool operator==(const report_group&) const = default;
};

// The day hash's field for a group's counter, and back (nullopt: not one of ours).
std::string counter_field(const report_group& g, report_counter c);
// `<campaign>|<component>|<variant>||`: what a delivery mark holds; the counter name is appended.
std::string group_prefix(const report_group& g);
struct parsed_field {
  report_group group;
  report_counter counter;
};
std::optional<parsed_field> parse_counter_field(std::string_view field);

// Days are counted since 1970-01-01 (UTC).
std::int64_t day_of(std::int64_t unix_ms);
std::string day_text(std::int64_t day);                   // YYYY-MM-DD
std::optional<std::int64_t> parse_day(std::string_view);  // a valid YYYY-MM-DD only

inline constexpr std::int64_t kept_days = 400;
inline constexpr auto conversion_window = std::chrono::days(30);
inline constexpr auto early_cancel_window = std::chrono::days(30);

// The day's hash and when it expires (unix seconds): 400 days after the day ends.
std::string day_key(std::string_view prefix, std::int64_t day);
std::int64_t day_expires_at(std::int64_t day);
std::string delivery_mark_key(std::string_view prefix, std::string_view reader_campaign_key);

// How long, from `unix_ms`, the hash of its day is still to be kept: until day_expires_at (at
// least a second). The scripts set it as the hash's time to live (EXPIRE), counted from when they
// run, a moment after `unix_ms`: a relative time does not depend on Redis's clock agreeing
// with ours.
std::int64_t day_keep_seconds(std::int64_t unix_ms);

// Increments for one day's hash, as a script applies them.
struct report_tally {
  std::string day_key;
  std::string keep_seconds;  // day_keep_seconds, as text for the script
  std::vector<std::pair<std::string, std::int64_t>> counts;

  bool empty() const { return counts.empty(); }
};
report_tally tally_for_day(std::string_view prefix, std::int64_t unix_ms);

}  // namespace supportd::reports

// What a pledge's changes add to the reader-revenue report (reports/report_counter.hpp). Pure:
// pledge_store asks it with the pledge as read and passes the answer to the script that makes the
// change, which adds it only if the change is made (the state it was read in is still the
// pledge's): so each change is counted once.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pledges/pledge_state.hpp"
#include "reports/report_counter.hpp"

namespace supportd::pledges {

// What the report needs of a pledge: fixed from its creation.
struct pledge_facts {
  reports::report_group group;
  std::int64_t amount_minor = 0;
  std::int64_t created_at_ms = 0;
  std::string page_url;
};

using report_counts = std::vector<std::pair<reports::report_counter, std::int64_t>>;

// A new pledge.
report_counts report_creation();

// The pledge moved from `before` to `after` at `now_ms`: its first payment (paid, or a recurring
// pledge started), an unpaid end (abandoned, failed), or a recurring pledge cancelled within 30
// days of its creation. Nothing for the rest.
report_counts report_change(const pledge_facts& p, pledge_state before, pledge_state after,
                            std::int64_t now_ms);

// True when `before` -> `after` is the pledge's first successful payment.
bool is_first_payment(pledge_state before, pledge_state after);

// The reminder conversion a first payment counts when no delivery to the reader for the campaign
// is on record: the pledge's own group, currency and interval aside (where reminders are
// counted), if the reader came through a reminder's give link (its page carries
// source=reminder: reminders/reminder_message.hpp); else empty.
std::string give_link_conversion_field(const pledge_facts& p);

}  // namespace supportd::pledges

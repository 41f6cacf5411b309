// A link between pledges and reminders, made here so that neither knows the other: a
// pledge's first payment (seen by the webhook processor) cancels its reader's pending reminders
// for the campaign.
#pragma once

#include "webhooks/event_processor.hpp"

namespace supportd::reminders {
class reminder_book;
struct reminder_metrics;
}  // namespace supportd::reminders

namespace supportd::app {

// Empty when `book` is null (reminders are off). `metrics` may be null.
webhooks::reader_gave cancel_reminders_when_paid(reminders::reminder_book* book,
                                                 reminders::reminder_metrics* metrics);

}  // namespace supportd::app

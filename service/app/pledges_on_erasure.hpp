// The other link between reminders and pledges, made here so that neither knows the other: an
// admin's erasure of a reader (a reminder route, POST /admin/erasure) removes their sealed
// address and name from their pledges too.
#pragma once

#include <string_view>

#include "reminders/reminder_context.hpp"

namespace supportd::redis {
class connection;
}

namespace supportd::app {

// What reminder_context::erase_from_pledges calls, over `redis` under `prefix` (both outlive
// it).
decltype(reminders::reminder_context::erase_from_pledges) erase_from_pledges(
    redis::connection& redis, std::string_view prefix);

}  // namespace supportd::app

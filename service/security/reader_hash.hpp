// A reader named without their address: HMAC-SHA256 of the normalized address under the data
// keys' lookup key, base64url (43 characters). Reminders are filed under it (their ids start
// with its first 12 characters: reminders/reminder_id.hpp), and a pledge keeps it until its
// first payment, to find that reader's reminders then.
#pragma once

#include <string>
#include <string_view>

namespace supportd::security {

class data_keys;

std::string reader_hash(const data_keys& keys, std::string_view email);

// What names "this reader and this campaign" (a reminder's send claim, the report's delivery
// mark): 16 base64url characters of a hash of the reader's hash and the campaign.
std::string reader_campaign_key(std::string_view reader_hash, std::string_view campaign);

}  // namespace supportd::security

// The field names of a pledge's Redis hash (`<prefix>pledge:<id>`, pledge_store.hpp), the one
// place the C++ side spells them. The Lua scripts in pledges/scripts/ write the names they use
// as literals; tests/pledges/pledge_fields_test.cpp checks that each of those, and each name a
// Stripe event's update sets, is one of these.
#pragma once

#include <array>
#include <string_view>

namespace supportd::pledges::pledge_field {

// Written when the pledge is made.
inline constexpr std::string_view id = "id";
inline constexpr std::string_view status = "status";  // pledge_state's names
inline constexpr std::string_view amount_minor = "amount_minor";
inline constexpr std::string_view currency = "currency";
inline constexpr std::string_view interval = "interval";  // once, month, year
inline constexpr std::string_view payment_method = "payment_method";
inline constexpr std::string_view campaign = "campaign";
inline constexpr std::string_view component = "component";
inline constexpr std::string_view variant = "variant";
inline constexpr std::string_view page_url = "page_url";
inline constexpr std::string_view referrer = "referrer";
inline constexpr std::string_view country = "country";
inline constexpr std::string_view locale = "locale";
inline constexpr std::string_view created_at_ms = "created_at_ms";
inline constexpr std::string_view updated_at_ms = "updated_at_ms";
inline constexpr std::string_view checkout_session_id = "checkout_session_id";
inline constexpr std::string_view checkout_url = "checkout_url";
inline constexpr std::string_view manage_token_sha256 = "manage_token_sha256";
inline constexpr std::string_view reminder_reader = "reminder_reader";
// The reader's address and name, sealed (security::data_keys, the pledge id as associated data)
// for the reader's messages; removed by an erasure, which the messages' absence of an address
// then honours.
inline constexpr std::string_view sealed_email = "sealed_email";
inline constexpr std::string_view sealed_name = "sealed_name";
// The reader indexes (erase_reader.lua) that list the pledge, space-separated: the form's
// address's, and the paid address's when it differs. An erasure takes the pledge out of each.
inline constexpr std::string_view reader_indexes = "reader_indexes";

// Written by the provider's events.
inline constexpr std::string_view subscription_id = "subscription_id";
inline constexpr std::string_view charges_succeeded = "charges_succeeded";
inline constexpr std::string_view total_given_minor = "total_given_minor";
inline constexpr std::string_view total_refunded_minor = "total_refunded_minor";
inline constexpr std::string_view last_charge_at_ms = "last_charge_at_ms";
inline constexpr std::string_view next_charge_at_ms = "next_charge_at_ms";
inline constexpr std::string_view consecutive_failures = "consecutive_failures";
// The provider's customer who pays (Stripe's `cus_…`): what a card update page is opened for.
inline constexpr std::string_view customer_id = "customer_id";

// Written by the reader's changes (pledge_changes.hpp). Until when collection is paused (unix ms);
// absent when it is not (a pause that has ended may stay: readers see it only while ahead).
inline constexpr std::string_view paused_until_ms = "paused_until_ms";
// Who asked to cancel and when, "<reader|admin> <unix ms>": written before the provider is asked
// to end the subscription (pledge_cancellation.hpp), because the provider's own word that it
// ended may be applied before the cancellation is recorded; that word then names who asked.
inline constexpr std::string_view cancel_asked = "cancel_asked";

// Fields named per payment: the prefix, then the payment's id.
// `counted:<payment>` = 1 once a payment's increments were applied (counted once per pledge).
inline constexpr std::string_view counted_prefix = "counted:";
// `refunded:<charge>` = the charge's refunded total; total_refunded_minor is their sum.
inline constexpr std::string_view refunded_prefix = "refunded:";

// Every name above, for the checks that keep the Lua and the webhooks in step.
inline constexpr std::array all = {id,
                                   status,
                                   amount_minor,
                                   currency,
                                   interval,
                                   payment_method,
                                   campaign,
                                   component,
                                   variant,
                                   page_url,
                                   referrer,
                                   country,
                                   locale,
                                   created_at_ms,
                                   updated_at_ms,
                                   checkout_session_id,
                                   checkout_url,
                                   manage_token_sha256,
                                   reminder_reader,
                                   sealed_email,
                                   sealed_name,
                                   reader_indexes,
                                   subscription_id,
                                   charges_succeeded,
                                   total_given_minor,
                                   total_refunded_minor,
                                   last_charge_at_ms,
                                   next_charge_at_ms,
                                   consecutive_failures,
                                   customer_id,
                                   paused_until_ms,
                                   cancel_asked};
inline constexpr std::array all_prefixes = {counted_prefix, refunded_prefix};

}  // namespace supportd::pledges::pledge_field

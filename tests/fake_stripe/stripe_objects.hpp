// The objects fake-stripe keeps (Checkout Sessions, subscriptions, invoices, charges) and their
// JSON as Stripe's API version 2024-06-20 shows them, in API responses and in events.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkout_request.hpp"
#include "portal_session_request.hpp"
#include "subscription_update.hpp"

namespace fake_stripe {

inline constexpr std::string_view api_version = "2024-06-20";

struct price_record {
  std::string id;
  std::string product;
  price_spec spec;
  std::int64_t created = 0;
};

struct line_item_record {
  std::string id;
  price_record price;
  std::int64_t quantity = 1;

  std::int64_t amount() const { return price.spec.unit_amount * quantity; }
  std::string description() const;
};

struct session_record {
  std::string id;
  checkout_request request;
  std::vector<line_item_record> line_items;
  std::string status = "open";            // open, complete, expired
  std::string payment_status = "unpaid";  // unpaid, paid, no_payment_required
  std::int64_t created = 0;
  std::int64_t expires_at = 0;
  std::string url;  // the hosted payment page while the session is open
  // Set when the customer completes the page.
  std::optional<std::string> customer;
  std::optional<std::string> customer_email;  // as entered on the page
  std::optional<std::string> payment_intent;
  std::optional<std::string> setup_intent;
  std::optional<std::string> subscription;
  std::optional<std::string> invoice;
};

struct subscription_record {
  std::string id;
  std::string customer;
  std::string session;
  std::string status = "active";  // active, past_due, unpaid, canceled, …
  metadata_map metadata;
  std::optional<std::string> description;
  std::vector<line_item_record> items;  // ids are the subscription items' (si_…)
  std::string currency;
  std::string default_payment_method;
  std::int64_t created = 0;
  std::int64_t current_period_start = 0;
  std::int64_t current_period_end = 0;
  std::int64_t period_index = 0;  // how many periods have begun since `created`
  bool cancel_at_period_end = false;
  std::optional<std::int64_t> cancel_at;
  std::optional<std::int64_t> canceled_at;
  std::optional<std::int64_t> ended_at;
  std::optional<std::string> cancellation_reason;  // cancellation_requested, payment_failed, …
  std::optional<std::string> cancellation_comment;
  std::optional<std::string> cancellation_feedback;
  std::string latest_invoice;
  // Set by `pause_collection[…]`: renewals before `resumes_at` charge nothing.
  std::optional<collection_pause> pause_collection;
};

// The customers completed Checkout Sessions made (fake-stripe has no customer API).
struct customer_record {
  std::string id;
  std::optional<std::string> email;
  std::string default_payment_method;  // a new pm_test_… each time the portal updates the card
  std::int64_t created = 0;
};

// A Billing Portal session and what the customer did on its page.
struct portal_session_record {
  std::string id;
  std::string configuration;
  std::string customer;
  portal_session_request request;
  std::int64_t created = 0;
  std::string url;
  std::optional<std::int64_t> card_updated_at;
};

struct invoice_record {
  std::string id;
  std::string subscription;
  std::string customer;
  std::optional<std::string> customer_email;
  std::string currency;
  // paid, open; while collection is paused: void, draft or uncollectible (nothing charged)
  std::string status = "paid";
  std::string billing_reason;  // subscription_create, subscription_cycle
  std::int64_t amount = 0;
  std::int64_t created = 0;
  std::int64_t period_start = 0;  // the invoice's own period: the one before its lines'
  std::int64_t period_end = 0;
  std::int64_t line_period_start = 0;  // the service period its lines bill for
  std::int64_t line_period_end = 0;
  std::int64_t attempt_count = 1;
  std::optional<std::int64_t> next_payment_attempt;
  std::string payment_intent;           // empty when nothing was charged
  std::string charge;                   // empty when nothing was charged
  std::vector<line_item_record> lines;  // ids are the invoice line items' (il_…)
  std::vector<std::string> subscription_item_ids;
  metadata_map subscription_metadata;  // the subscription's when the invoice was made
};

struct charge_record {
  std::string id;
  std::string customer;
  std::optional<std::string> email;
  std::string payment_intent;
  std::string payment_method;
  std::optional<std::string> invoice;
  std::optional<std::string> description;
  std::string currency;
  std::int64_t amount = 0;
  std::int64_t amount_refunded = 0;
  std::int64_t created = 0;
  bool paid = true;
  bool disputed = false;
  metadata_map metadata;  // the PaymentIntent's: payment_intent_data[metadata] in Checkout
};

// The end of one billing period that starts at `start` (unix seconds, UTC calendar).
std::int64_t add_interval(std::int64_t start, std::string_view interval, std::int64_t count);

boost::json::object metadata_json(const metadata_map& metadata);
boost::json::object session_json(const session_record& s);
boost::json::object subscription_json(const subscription_record& s);
boost::json::object invoice_json(const invoice_record& i);
boost::json::object charge_json(const charge_record& c);
boost::json::object portal_session_json(const portal_session_record& s);
boost::json::object dispute_json(const std::string& id, const charge_record& c,
                                 std::string_view reason, std::int64_t created);

// An event object; `request_id` and `idempotency_key` name the API request that caused it.
boost::json::object event_json(const std::string& id, std::string_view type, std::int64_t created,
                               boost::json::object object,
                               std::optional<boost::json::object> previous_attributes = {},
                               const std::optional<std::string>& request_id = {},
                               const std::optional<std::string>& idempotency_key = {});

}  // namespace fake_stripe

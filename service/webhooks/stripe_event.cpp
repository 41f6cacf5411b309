#include "webhooks/stripe_event.hpp"

#include <algorithm>
#include <array>
#include <boost/json/value.hpp>
#include <limits>

#include "common/parsed_json.hpp"

namespace supportd::webhooks {
namespace {

namespace json = boost::json;
using pledges::pledge_event;

constexpr std::array<std::string_view, 10> handled = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "charge.dispute.created",
};

const json::value* at_path(const json::value& root, std::initializer_list<std::string_view> path) {
  const json::value* v = &root;
  for (auto key : path) {
    if (!v->is_object()) {
      return nullptr;
    }
    v = v->as_object().if_contains(key);
    if (v == nullptr) {
      return nullptr;
    }
  }
  return v;
}

std::string string_at(const json::value& root, std::initializer_list<std::string_view> path) {
  auto* v = at_path(root, path);
  return v && v->is_string() ? std::string(v->as_string()) : std::string{};
}

std::int64_t int_at(const json::value& root, std::initializer_list<std::string_view> path) {
  auto* v = at_path(root, path);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// A Stripe timestamp (Unix seconds) in milliseconds, 0 when absent. One too large for
// milliseconds to hold (past the year 292 million) is nonsense and read as absent, rather than
// overflowing the multiplication (undefined behaviour).
std::int64_t ms_at(const json::value& root, std::initializer_list<std::string_view> path) {
  auto seconds = int_at(root, path);
  return seconds > 0 && seconds <= std::numeric_limits<std::int64_t>::max() / 1000 ? seconds * 1000
                                                                                   : 0;
}

bool bool_at(const json::value& root, std::initializer_list<std::string_view> path) {
  auto* v = at_path(root, path);
  return v && v->is_bool() && v->as_bool();
}

// The id of the object at `key`: the id itself, or an expanded object's `id`.
std::string id_at(const json::value& o, std::string_view key) {
  auto id = string_at(o, {key});
  return id.empty() ? string_at(o, {key, "id"}) : id;
}

// The pledge keeps the customer who pays, for the card update page (its Billing Portal session
// is opened for a customer). A completed Checkout Session names it first; invoices and
// subscription events name it too, so a pledge made before it was kept learns it at its next
// renewal.
void keep_customer(const json::value& o, pledges::provider_update& u) {
  if (auto customer = id_at(o, "customer"); !customer.empty()) {
    u.fields.emplace_back("customer_id", std::move(customer));
  }
}

std::string first_of(std::initializer_list<std::string> candidates) {
  for (const auto& c : candidates) {
    if (!c.empty()) {
      return c;
    }
  }
  return {};
}

// checkout.session.*: a Checkout Session (https://docs.stripe.com/api/checkout/sessions/object).
void read_checkout_session(const json::value& event, const json::value& o, std::string_view type,
                           pledges::provider_update& u) {
  u.pledge_id =
      first_of({string_at(o, {"metadata", "pledge_id"}), string_at(o, {"client_reference_id"})});
  u.subscription_id = string_at(o, {"subscription"});
  if (!u.subscription_id.empty()) {
    u.fields.emplace_back("subscription_id", u.subscription_id);
  }
  keep_customer(o, u);
  const auto paid = string_at(o, {"payment_status"});
  const bool settled = paid == "paid" || paid == "no_payment_required";
  if (auto intent = string_at(o, {"payment_intent"}); !intent.empty() && settled) {
    u.payment_refs.push_back(intent);
  }
  // A one-time gift's one payment is its session's: counted once by the session's id, whether
  // the completion or the delayed payment's success says it was paid.
  const bool one_time = string_at(o, {"mode"}) == "payment";
  if (one_time) {
    u.count_once_as = string_at(o, {"id"});
  }
  // For the reader's thank-you: what the session charged (a subscription's first invoice
  // says the same).
  u.payment.invoice = string_at(o, {"id"});
  u.payment.amount_minor = int_at(o, {"amount_total"});
  u.payment.at_ms = ms_at(event, {"created"});
  if (settled) {
    u.reader_email = string_at(o, {"customer_details", "email"});
  }
  if (type == "checkout.session.completed" && settled) {
    u.input = pledge_event::checkout_completed;
    // One-time gifts are charged here; subscriptions count their charges on invoice.paid.
    if (one_time) {
      u.increments.emplace_back("charges_succeeded", 1);
      u.increments.emplace_back("total_given_minor", int_at(o, {"amount_total"}));
      u.fields.emplace_back("last_charge_at_ms", std::to_string(ms_at(event, {"created"})));
    }
  } else if (type == "checkout.session.async_payment_succeeded") {
    u.input = pledge_event::async_payment_succeeded;
    if (one_time) {
      u.increments.emplace_back("charges_succeeded", 1);
      u.increments.emplace_back("total_given_minor", int_at(o, {"amount_total"}));
    }
  } else if (type == "checkout.session.async_payment_failed") {
    u.input = pledge_event::async_payment_failed;
  } else if (type == "checkout.session.expired") {
    u.input = pledge_event::checkout_expired;
  }
}

// invoice.*: a subscription's invoice (https://docs.stripe.com/api/invoices/object).
void read_invoice(const json::value& event, const json::value& o, std::string_view type,
                  pledges::provider_update& u) {
  u.subscription_id = string_at(o, {"subscription"});
  if (!u.subscription_id.empty()) {
    u.fields.emplace_back("subscription_id", u.subscription_id);
    keep_customer(o, u);
  }
  u.pledge_id = first_of({string_at(o, {"subscription_details", "metadata", "pledge_id"}),
                          string_at(o, {"parent", "subscription_details", "metadata", "pledge_id"}),
                          string_at(o, {"metadata", "pledge_id"})});
  if (auto* lines = at_path(o, {"lines", "data"});
      lines && lines->is_array() && !lines->as_array().empty()) {
    const auto& line = lines->as_array().front();
    if (u.pledge_id.empty()) {
      u.pledge_id = string_at(line, {"metadata", "pledge_id"});
    }
    if (auto end = ms_at(line, {"period", "end"}); end > 0) {
      u.fields.emplace_back("next_charge_at_ms", std::to_string(end));
      u.payment.period_end_ms = end;
    }
  }
  // An invoice is paid once; each of its failed attempts is numbered (attempt_count).
  const auto invoice_id = string_at(o, {"id"});
  u.payment.invoice = invoice_id;
  u.payment.at_ms = ms_at(event, {"created"});
  u.payment.first_of_subscription = string_at(o, {"billing_reason"}) == "subscription_create";
  if (type == "invoice.paid") {
    u.input = pledge_event::renewal_paid;
    u.count_once_as = invoice_id;
    for (const auto& ref : {string_at(o, {"charge"}), string_at(o, {"payment_intent"})}) {
      if (!ref.empty()) {
        u.payment_refs.push_back(ref);
      }
    }
    u.increments.emplace_back("charges_succeeded", 1);
    u.increments.emplace_back("total_given_minor", int_at(o, {"amount_paid"}));
    u.fields.emplace_back("last_charge_at_ms", std::to_string(ms_at(event, {"created"})));
    u.fields.emplace_back("consecutive_failures", "0");
    u.payment.amount_minor = int_at(o, {"amount_paid"});
  } else if (type == "invoice.payment_failed") {
    u.input = pledge_event::renewal_failed;
    u.increments.emplace_back("consecutive_failures", 1);
    if (auto attempt = int_at(o, {"attempt_count"}); !invoice_id.empty() && attempt > 0) {
      u.count_once_as = invoice_id + "#" + std::to_string(attempt);
      u.payment.attempt_count = attempt;
    }
    u.payment.amount_minor = int_at(o, {"amount_due"});
    // Null once Stripe will not try again (https://docs.stripe.com/api/invoices/object).
    u.payment.next_retry_ms = ms_at(o, {"next_payment_attempt"});
  }
}

// customer.subscription.*: the subscription itself
// (https://docs.stripe.com/api/subscriptions/object).
void read_subscription(const json::value& o, std::string_view type, pledges::provider_update& u) {
  u.subscription_id = string_at(o, {"id"});
  u.pledge_id = string_at(o, {"metadata", "pledge_id"});
  if (!u.subscription_id.empty()) {
    u.fields.emplace_back("subscription_id", u.subscription_id);
  }
  keep_customer(o, u);
  // Neither the amount nor `pause_collection` is taken from the subscription: Stripe sends
  // this event after each change a reader makes (pledge_changes.hpp), which the pledge has
  // recorded already, and events arrive in any order, so an older one must not undo a
  // newer change. Only the next charge date (which a change never moves) is kept.
  const auto status = string_at(o, {"status"});
  if (type == "customer.subscription.deleted" || status == "canceled") {
    u.input = pledge_event::subscription_ended;
  }
  if (auto end = ms_at(o, {"current_period_end"}); end > 0 && status != "canceled") {
    u.fields.emplace_back("next_charge_at_ms", std::to_string(end));
  }
}

// charge.*: a charge, or a dispute of one (https://docs.stripe.com/api/charges/object).
void read_charge(const json::value& o, std::string_view type, pledges::provider_update& u) {
  u.pledge_id = string_at(o, {"metadata", "pledge_id"});
  // A renewal's charge carries no pledge metadata: it is found by the charge (or its
  // PaymentIntent) that invoice.paid remembered. A dispute names its charge in `charge`.
  const auto charge_id =
      type.starts_with("charge.dispute.") ? string_at(o, {"charge"}) : string_at(o, {"id"});
  for (const auto& ref : {charge_id, string_at(o, {"payment_intent"})}) {
    if (!ref.empty()) {
      u.payment_lookups.push_back(ref);
    }
  }
  if (type == "charge.refunded") {
    // Stripe sends this for partial refunds too: only a charge refunded in full is the
    // state table's input (it ends a one-time pledge; a subscription goes on being charged).
    if (bool_at(o, {"refunded"})) {
      u.input = pledge_event::refund_issued;
    }
    // amount_refunded is this charge's running total: kept per charge, and the pledge's
    // total is their sum (pledge_store), so repeats and partial refunds are counted right.
    if (!charge_id.empty()) {
      u.fields.emplace_back("refunded:" + charge_id,
                            std::to_string(int_at(o, {"amount_refunded"})));
    }
  } else if (type == "charge.dispute.created") {
    u.input = pledge_event::dispute_opened;
  }
}

}  // namespace

std::span<const std::string_view> handled_types() {
  return handled;
}

bool is_handled_type(std::string_view type) {
  return std::find(handled.begin(), handled.end(), type) != handled.end();
}

parsed_event parse_stripe_event(std::string_view body) {
  parsed_event out;
  const common::parsed_json parsed(body);
  if (parsed.object() == nullptr) {
    return out;
  }
  const auto& event = parsed.value();
  auto& u = out.update;
  u.event_id = string_at(event, {"id"});
  out.type = string_at(event, {"type"});
  auto* live = at_path(event, {"livemode"});
  out.livemode = live && live->is_bool() && live->as_bool();
  auto* object = at_path(event, {"data", "object"});
  if (u.event_id.empty() || out.type.empty() || object == nullptr || !object->is_object()) {
    return out;
  }
  const auto& o = *object;
  const auto& type = out.type;
  u.reference = u.event_id;
  out.kind = is_handled_type(type) ? event_kind::known : event_kind::unknown_type;

  if (type.starts_with("checkout.session.")) {
    read_checkout_session(event, o, type, u);
  } else if (type.starts_with("invoice.")) {
    read_invoice(event, o, type, u);
  } else if (type.starts_with("customer.subscription.")) {
    read_subscription(o, type, u);
  } else if (type.starts_with("charge.")) {
    read_charge(o, type, u);
  }
  return out;
}

}  // namespace supportd::webhooks

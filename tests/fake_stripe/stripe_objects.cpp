#include "stripe_objects.hpp"

#include <boost/json/array.hpp>
#include <chrono>

namespace fake_stripe {
namespace json = boost::json;

namespace {

json::value opt(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::value opt(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object recurring_json(const price_spec& p) {
  return {{"aggregate_usage", nullptr},         {"interval", *p.interval},
          {"interval_count", p.interval_count}, {"meter", nullptr},
          {"trial_period_days", nullptr},       {"usage_type", "licensed"}};
}

json::object price_json(const price_record& p) {
  json::object o{{"id", p.id},
                 {"object", "price"},
                 {"active", false},  // prices made from price_data are archived at once
                 {"billing_scheme", "per_unit"},
                 {"created", p.created},
                 {"currency", p.spec.currency},
                 {"custom_unit_amount", nullptr},
                 {"livemode", false},
                 {"lookup_key", nullptr},
                 {"metadata", json::object()},
                 {"nickname", nullptr},
                 {"product", p.product}};
  o["recurring"] = p.spec.interval ? json::value(recurring_json(p.spec)) : json::value(nullptr);
  o["tax_behavior"] = "unspecified";
  o["tiers_mode"] = nullptr;
  o["transform_quantity"] = nullptr;
  o["type"] = p.spec.interval ? "recurring" : "one_time";
  o["unit_amount"] = p.spec.unit_amount;
  o["unit_amount_decimal"] = std::to_string(p.spec.unit_amount);
  return o;
}

// The legacy Plan view of a recurring price, still sent on subscriptions and invoice lines.
json::object plan_json(const price_record& p) {
  return {{"id", p.id},
          {"object", "plan"},
          {"active", false},
          {"aggregate_usage", nullptr},
          {"amount", p.spec.unit_amount},
          {"amount_decimal", std::to_string(p.spec.unit_amount)},
          {"billing_scheme", "per_unit"},
          {"created", p.created},
          {"currency", p.spec.currency},
          {"interval", *p.spec.interval},
          {"interval_count", p.spec.interval_count},
          {"livemode", false},
          {"metadata", json::object()},
          {"meter", nullptr},
          {"nickname", nullptr},
          {"product", p.product},
          {"tiers_mode", nullptr},
          {"transform_usage", nullptr},
          {"trial_period_days", nullptr},
          {"usage_type", "licensed"}};
}

json::object list_json(json::array data, const std::string& url) {
  auto count = data.size();
  return {{"object", "list"},
          {"data", std::move(data)},
          {"has_more", false},
          {"total_count", count},
          {"url", url}};
}

json::object test_address() {
  return {{"city", nullptr},  {"country", "US"},        {"line1", nullptr},
          {"line2", nullptr}, {"postal_code", "10001"}, {"state", nullptr}};
}

}  // namespace

std::string line_item_record::description() const {
  auto name = price.spec.product_name.empty() ? price.product : price.spec.product_name;
  auto text = std::to_string(quantity) + " × " + name;
  if (price.spec.interval) {
    text += " (at " + format_amount(price.spec.unit_amount, price.spec.currency) + " / " +
            (price.spec.interval_count == 1
                 ? *price.spec.interval
                 : std::to_string(price.spec.interval_count) + " " + *price.spec.interval + "s") +
            ")";
  }
  return text;
}

std::int64_t add_interval(std::int64_t start, std::string_view interval, std::int64_t count) {
  using namespace std::chrono;
  if (interval == "day") {
    return start + count * 86'400;
  }
  if (interval == "week") {
    return start + count * 604'800;
  }
  sys_seconds t{seconds{start}};
  auto day = floor<days>(t);
  auto time_of_day = t - day;
  year_month_day date{day};
  if (interval == "month") {
    date += months{count};
  } else {
    date += years{count};
  }
  if (!date.ok()) {
    date = date.year() / date.month() / last;
  }
  return (sys_days{date} + time_of_day).time_since_epoch().count();
}

json::object metadata_json(const metadata_map& metadata) {
  json::object o;
  for (const auto& [key, value] : metadata) {
    o[key] = value;
  }
  return o;
}

json::object session_json(const session_record& s) {
  const auto& r = s.request;
  const bool setup = r.mode == "setup";
  std::int64_t subtotal = 0;
  for (const auto& item : s.line_items) {
    subtotal += item.amount();
  }
  json::object o{{"id", s.id}, {"object", "checkout.session"}};
  o["after_expiration"] = nullptr;
  o["allow_promotion_codes"] = nullptr;
  o["amount_subtotal"] = setup ? json::value(nullptr) : json::value(subtotal);
  o["amount_total"] = setup ? json::value(nullptr) : json::value(subtotal);
  o["automatic_tax"] = {{"enabled", false}, {"liability", nullptr}, {"status", nullptr}};
  o["billing_address_collection"] = opt(r.billing_address_collection);
  o["cancel_url"] = opt(r.cancel_url);
  o["client_reference_id"] = opt(r.client_reference_id);
  o["client_secret"] = nullptr;
  o["consent"] = nullptr;
  o["consent_collection"] = nullptr;
  o["created"] = s.created;
  o["currency"] = opt(r.currency);
  o["currency_conversion"] = nullptr;
  o["custom_fields"] = json::array();
  o["custom_text"] = {{"after_submit", nullptr},
                      {"shipping_address", nullptr},
                      {"submit", nullptr},
                      {"terms_of_service_acceptance", nullptr}};
  o["customer"] = s.customer ? opt(s.customer) : opt(r.customer);
  o["customer_creation"] = r.mode == "subscription" ? json::value(nullptr) : "if_required";
  if (s.status == "complete") {
    o["customer_details"] = {{"address", test_address()}, {"email", opt(s.customer_email)},
                             {"name", "Jenny Rosen"},     {"phone", nullptr},
                             {"tax_exempt", "none"},      {"tax_ids", json::array()}};
  } else {
    o["customer_details"] = nullptr;
  }
  o["customer_email"] = opt(r.customer_email);
  o["expires_at"] = s.expires_at;
  o["invoice"] = opt(s.invoice);
  if (r.mode == "payment") {
    o["invoice_creation"] = {{"enabled", false},
                             {"invoice_data",
                              {{"account_tax_ids", nullptr},
                               {"custom_fields", nullptr},
                               {"description", nullptr},
                               {"footer", nullptr},
                               {"issuer", nullptr},
                               {"metadata", json::object()},
                               {"rendering_options", nullptr}}}};
  } else {
    o["invoice_creation"] = nullptr;
  }
  o["livemode"] = false;
  o["locale"] = opt(r.locale);
  o["metadata"] = metadata_json(r.metadata);
  o["mode"] = r.mode;
  o["payment_intent"] = opt(s.payment_intent);
  o["payment_link"] = nullptr;
  o["payment_method_collection"] = r.mode == "payment" ? "if_required" : "always";
  if (r.payment_method_configuration.empty()) {
    o["payment_method_configuration_details"] = nullptr;
  } else {
    o["payment_method_configuration_details"] = {{"id", r.payment_method_configuration},
                                                 {"parent", nullptr}};
  }
  o["payment_method_options"] = {{"card", {{"request_three_d_secure", "automatic"}}}};
  json::array types;
  for (const auto& t : r.payment_method_types) {
    types.push_back(json::value(t));
  }
  o["payment_method_types"] = std::move(types);
  o["payment_status"] = s.payment_status;
  o["phone_number_collection"] = {{"enabled", false}};
  o["recovered_from"] = nullptr;
  o["saved_payment_method_options"] = nullptr;
  o["setup_intent"] = opt(s.setup_intent);
  o["shipping_address_collection"] = nullptr;
  o["shipping_cost"] = nullptr;
  o["shipping_details"] = nullptr;
  o["shipping_options"] = json::array();
  o["status"] = s.status;
  o["submit_type"] = opt(r.submit_type);
  o["subscription"] = opt(s.subscription);
  o["success_url"] = opt(r.success_url);
  o["total_details"] = {{"amount_discount", 0}, {"amount_shipping", 0}, {"amount_tax", 0}};
  o["ui_mode"] = "hosted";
  // Stripe gives the hosted page's address only while the session can still be paid.
  o["url"] = s.status == "open" ? json::value(s.url) : json::value(nullptr);
  return o;
}

json::object subscription_json(const subscription_record& s) {
  json::array items;
  for (const auto& item : s.items) {
    items.push_back(json::object{{"id", item.id},
                                 {"object", "subscription_item"},
                                 {"billing_thresholds", nullptr},
                                 {"created", s.created},
                                 {"discounts", json::array()},
                                 {"metadata", json::object()},
                                 {"plan", plan_json(item.price)},
                                 {"price", price_json(item.price)},
                                 {"quantity", item.quantity},
                                 {"subscription", s.id},
                                 {"tax_rates", json::array()}});
  }
  json::object o{{"id", s.id}, {"object", "subscription"}};
  o["application"] = nullptr;
  o["application_fee_percent"] = nullptr;
  o["automatic_tax"] = {{"enabled", false}, {"liability", nullptr}};
  o["billing_cycle_anchor"] = s.created;
  o["billing_cycle_anchor_config"] = nullptr;
  o["billing_thresholds"] = nullptr;
  o["cancel_at"] = opt(s.cancel_at);
  o["cancel_at_period_end"] = s.cancel_at_period_end;
  o["canceled_at"] = opt(s.canceled_at);
  o["cancellation_details"] = {{"comment", opt(s.cancellation_comment)},
                               {"feedback", opt(s.cancellation_feedback)},
                               {"reason", opt(s.cancellation_reason)}};
  o["collection_method"] = "charge_automatically";
  o["created"] = s.created;
  o["currency"] = s.currency;
  o["current_period_end"] = s.current_period_end;
  o["current_period_start"] = s.current_period_start;
  o["customer"] = s.customer;
  o["days_until_due"] = nullptr;
  o["default_payment_method"] = s.default_payment_method;
  o["default_source"] = nullptr;
  o["default_tax_rates"] = json::array();
  o["description"] = opt(s.description);
  o["discount"] = nullptr;
  o["discounts"] = json::array();
  o["ended_at"] = opt(s.ended_at);
  o["invoice_settings"] = {{"account_tax_ids", nullptr}, {"issuer", {{"type", "self"}}}};
  o["items"] = list_json(std::move(items), "/v1/subscription_items?subscription=" + s.id);
  o["latest_invoice"] = s.latest_invoice;
  o["livemode"] = false;
  o["metadata"] = metadata_json(s.metadata);
  o["next_pending_invoice_item_invoice"] = nullptr;
  o["on_behalf_of"] = nullptr;
  if (s.pause_collection) {
    o["pause_collection"] = {{"behavior", s.pause_collection->behavior},
                             {"resumes_at", opt(s.pause_collection->resumes_at)}};
  } else {
    o["pause_collection"] = nullptr;
  }
  o["payment_settings"] = {{"payment_method_options", nullptr},
                           {"payment_method_types", nullptr},
                           {"save_default_payment_method", "off"}};
  o["pending_invoice_item_interval"] = nullptr;
  o["pending_setup_intent"] = nullptr;
  o["pending_update"] = nullptr;
  if (s.items.size() == 1) {
    o["plan"] = plan_json(s.items[0].price);
    o["quantity"] = s.items[0].quantity;
  } else {
    o["plan"] = nullptr;
    o["quantity"] = nullptr;
  }
  o["schedule"] = nullptr;
  o["start_date"] = s.created;
  o["status"] = s.status;
  o["test_clock"] = nullptr;
  o["transfer_data"] = nullptr;
  o["trial_end"] = nullptr;
  o["trial_settings"] = {{"end_behavior", {{"missing_payment_method", "create_invoice"}}}};
  o["trial_start"] = nullptr;
  return o;
}

json::object invoice_json(const invoice_record& i) {
  const bool paid = i.status == "paid";
  // While collection is paused a renewal's invoice is voided, kept as a draft or marked
  // uncollectible at once: no payment is attempted.
  const bool charged = !i.charge.empty();
  const bool draft = i.status == "draft";
  json::array lines;
  for (std::size_t n = 0; n < i.lines.size(); ++n) {
    const auto& line = i.lines[n];
    lines.push_back(
        json::object{{"id", line.id},
                     {"object", "line_item"},
                     {"amount", line.amount()},
                     {"amount_excluding_tax", line.amount()},
                     {"currency", i.currency},
                     {"description", line.description()},
                     {"discount_amounts", json::array()},
                     {"discountable", true},
                     {"discounts", json::array()},
                     {"invoice", i.id},
                     {"livemode", false},
                     // A subscription's invoice lines carry the subscription's metadata.
                     {"metadata", metadata_json(i.subscription_metadata)},
                     {"period", {{"end", i.line_period_end}, {"start", i.line_period_start}}},
                     {"plan", plan_json(line.price)},
                     {"price", price_json(line.price)},
                     {"proration", false},
                     {"proration_details", {{"credited_items", nullptr}}},
                     {"quantity", line.quantity},
                     {"subscription", i.subscription},
                     {"subscription_item", n < i.subscription_item_ids.size()
                                               ? json::value(i.subscription_item_ids[n])
                                               : json::value(nullptr)},
                     {"tax_amounts", json::array()},
                     {"tax_rates", json::array()},
                     {"type", "subscription"},
                     {"unit_amount_excluding_tax", std::to_string(line.price.spec.unit_amount)}});
  }
  json::object o{{"id", i.id}, {"object", "invoice"}};
  o["account_country"] = "US";
  o["account_name"] = "fake-stripe";
  o["account_tax_ids"] = nullptr;
  o["amount_due"] = i.amount;
  o["amount_paid"] = paid ? i.amount : 0;
  o["amount_remaining"] = paid ? 0 : i.amount;
  o["amount_shipping"] = 0;
  o["application"] = nullptr;
  o["application_fee_amount"] = nullptr;
  o["attempt_count"] = charged ? i.attempt_count : 0;
  o["attempted"] = charged;
  o["auto_advance"] = i.status == "open";
  o["automatic_tax"] = {{"enabled", false}, {"liability", nullptr}, {"status", nullptr}};
  o["billing_reason"] = i.billing_reason;
  o["charge"] = charged ? json::value(i.charge) : json::value(nullptr);
  o["collection_method"] = "charge_automatically";
  o["created"] = i.created;
  o["currency"] = i.currency;
  o["custom_fields"] = nullptr;
  o["customer"] = i.customer;
  o["customer_address"] = nullptr;
  o["customer_email"] = opt(i.customer_email);
  o["customer_name"] = "Jenny Rosen";
  o["customer_phone"] = nullptr;
  o["customer_shipping"] = nullptr;
  o["customer_tax_exempt"] = "none";
  o["customer_tax_ids"] = json::array();
  o["default_payment_method"] = nullptr;
  o["default_source"] = nullptr;
  o["default_tax_rates"] = json::array();
  o["description"] = nullptr;
  o["discount"] = nullptr;
  o["discounts"] = json::array();
  o["due_date"] = nullptr;
  o["effective_at"] = i.created;
  o["ending_balance"] = 0;
  o["footer"] = nullptr;
  o["from_invoice"] = nullptr;
  o["hosted_invoice_url"] =
      draft ? json::value(nullptr) : json::value("https://invoice.stripe.com/i/fake/" + i.id);
  o["invoice_pdf"] = draft ? json::value(nullptr)
                           : json::value("https://pay.stripe.com/invoice/fake/" + i.id + "/pdf");
  o["issuer"] = {{"type", "self"}};
  o["last_finalization_error"] = nullptr;
  o["latest_revision"] = nullptr;
  o["lines"] = list_json(std::move(lines), "/v1/invoices/" + i.id + "/lines");
  o["livemode"] = false;
  o["metadata"] = json::object();
  o["next_payment_attempt"] = opt(i.next_payment_attempt);
  o["number"] = draft ? json::value(nullptr) : json::value("FAKE-" + i.id.substr(i.id.size() - 4));
  o["on_behalf_of"] = nullptr;
  o["paid"] = paid;
  o["paid_out_of_band"] = false;
  o["payment_intent"] = charged ? json::value(i.payment_intent) : json::value(nullptr);
  o["payment_settings"] = {{"default_mandate", nullptr},
                           {"payment_method_options", nullptr},
                           {"payment_method_types", nullptr}};
  o["period_end"] = i.period_end;
  o["period_start"] = i.period_start;
  o["post_payment_credit_notes_amount"] = 0;
  o["pre_payment_credit_notes_amount"] = 0;
  o["quote"] = nullptr;
  o["receipt_number"] = nullptr;
  o["rendering"] = nullptr;
  o["shipping_cost"] = nullptr;
  o["shipping_details"] = nullptr;
  o["starting_balance"] = 0;
  o["statement_descriptor"] = nullptr;
  o["status"] = i.status;
  auto at_if = [&](bool happened) { return happened ? json::value(i.created) : nullptr; };
  o["status_transitions"] = {{"finalized_at", at_if(!draft)},
                             {"marked_uncollectible_at", at_if(i.status == "uncollectible")},
                             {"paid_at", at_if(paid)},
                             {"voided_at", at_if(i.status == "void")}};
  o["subscription"] = i.subscription;
  o["subscription_details"] = {{"metadata", metadata_json(i.subscription_metadata)}};
  o["subtotal"] = i.amount;
  o["subtotal_excluding_tax"] = i.amount;
  o["tax"] = nullptr;
  o["test_clock"] = nullptr;
  o["total"] = i.amount;
  o["total_discount_amounts"] = json::array();
  o["total_excluding_tax"] = i.amount;
  o["total_tax_amounts"] = json::array();
  o["transfer_data"] = nullptr;
  o["webhooks_delivered_at"] = i.created;
  return o;
}

json::object charge_json(const charge_record& c) {
  json::object o{{"id", c.id}, {"object", "charge"}};
  o["amount"] = c.amount;
  o["amount_captured"] = c.paid ? c.amount : 0;
  o["amount_refunded"] = c.amount_refunded;
  o["application"] = nullptr;
  o["application_fee"] = nullptr;
  o["application_fee_amount"] = nullptr;
  o["balance_transaction"] = c.paid ? json::value("txn_" + c.id.substr(3)) : nullptr;
  o["billing_details"] = {{"address", test_address()},
                          {"email", opt(c.email)},
                          {"name", "Jenny Rosen"},
                          {"phone", nullptr}};
  o["calculated_statement_descriptor"] = "FAKE-STRIPE";
  o["captured"] = c.paid;
  o["created"] = c.created;
  o["currency"] = c.currency;
  o["customer"] = c.customer;
  o["description"] = opt(c.description);
  o["destination"] = nullptr;
  o["dispute"] = nullptr;
  o["disputed"] = c.disputed;
  o["failure_balance_transaction"] = nullptr;
  o["failure_code"] = c.paid ? json::value(nullptr) : "card_declined";
  o["failure_message"] = c.paid ? json::value(nullptr) : "Your card has insufficient funds.";
  o["fraud_details"] = json::object();
  o["invoice"] = opt(c.invoice);
  o["livemode"] = false;
  o["metadata"] = metadata_json(c.metadata);
  o["on_behalf_of"] = nullptr;
  o["outcome"] = {
      {"network_status", c.paid ? "approved_by_network" : "declined_by_network"},
      {"reason", c.paid ? json::value(nullptr) : "insufficient_funds"},
      {"risk_level", "normal"},
      {"risk_score", 32},
      {"seller_message", c.paid ? "Payment complete." : "The bank declined the payment."},
      {"type", c.paid ? "authorized" : "issuer_declined"}};
  o["paid"] = c.paid;
  o["payment_intent"] = c.payment_intent;
  o["payment_method"] = c.payment_method;
  o["payment_method_details"] = {{"card",
                                  {{"brand", "visa"},
                                   {"country", "US"},
                                   {"exp_month", 12},
                                   {"exp_year", 2034},
                                   {"funding", "credit"},
                                   {"last4", "4242"},
                                   {"network", "visa"}}},
                                 {"type", "card"}};
  o["receipt_email"] = opt(c.email);
  o["receipt_number"] = nullptr;
  o["receipt_url"] = "https://pay.stripe.com/receipts/fake/" + c.id;
  o["refunded"] = c.paid && c.amount_refunded == c.amount;
  o["review"] = nullptr;
  o["shipping"] = nullptr;
  o["source_transfer"] = nullptr;
  o["statement_descriptor"] = nullptr;
  o["statement_descriptor_suffix"] = nullptr;
  o["status"] = c.paid ? "succeeded" : "failed";
  o["transfer_data"] = nullptr;
  o["transfer_group"] = nullptr;
  return o;
}

json::object portal_session_json(const portal_session_record& s) {
  const auto& r = s.request;
  json::object o{{"id", s.id}, {"object", "billing_portal.session"}};
  o["configuration"] = s.configuration;
  o["created"] = s.created;
  o["customer"] = s.customer;
  if (r.flow) {
    const auto& f = *r.flow;
    json::value redirect = nullptr;
    if (f.redirect_url) {
      redirect = json::object{{"return_url", *f.redirect_url}};
    }
    json::value confirmation = nullptr;
    if (f.after_completion == "hosted_confirmation") {
      confirmation = json::object{{"custom_message", opt(f.custom_message)}};
    }
    o["flow"] = {{"after_completion",
                  {{"hosted_confirmation", std::move(confirmation)},
                   {"redirect", std::move(redirect)},
                   {"type", f.after_completion}}},
                 {"subscription_cancel", nullptr},
                 {"subscription_update", nullptr},
                 {"subscription_update_confirm", nullptr},
                 {"type", f.type}};
  } else {
    o["flow"] = nullptr;
  }
  o["livemode"] = false;
  o["locale"] = opt(r.locale);
  o["on_behalf_of"] = nullptr;
  o["return_url"] = opt(r.return_url);
  o["url"] = s.url;
  return o;
}

json::object dispute_json(const std::string& id, const charge_record& c, std::string_view reason,
                          std::int64_t created) {
  json::object evidence;
  for (const char* field : {"access_activity_log",
                            "billing_address",
                            "cancellation_policy",
                            "cancellation_policy_disclosure",
                            "cancellation_rebuttal",
                            "customer_communication",
                            "customer_email_address",
                            "customer_name",
                            "customer_purchase_ip",
                            "customer_signature",
                            "duplicate_charge_documentation",
                            "duplicate_charge_explanation",
                            "duplicate_charge_id",
                            "product_description",
                            "receipt",
                            "refund_policy",
                            "refund_policy_disclosure",
                            "refund_refusal_explanation",
                            "service_date",
                            "service_documentation",
                            "shipping_address",
                            "shipping_carrier",
                            "shipping_date",
                            "shipping_documentation",
                            "shipping_tracking_number",
                            "uncategorized_file",
                            "uncategorized_text"}) {
    evidence[field] = nullptr;
  }
  json::object o{{"id", id}, {"object", "dispute"}};
  o["amount"] = c.amount;
  o["balance_transactions"] = json::array();
  o["charge"] = c.id;
  o["created"] = created;
  o["currency"] = c.currency;
  o["evidence"] = std::move(evidence);
  o["evidence_details"] = {{"due_by", created + 691'200},
                           {"has_evidence", false},
                           {"past_due", false},
                           {"submission_count", 0}};
  o["is_charge_refundable"] = false;
  o["livemode"] = false;
  o["metadata"] = json::object();
  o["payment_intent"] = c.payment_intent;
  o["payment_method_details"] = {{"card", {{"brand", "visa"}, {"network_reason_code", "10.4"}}},
                                 {"type", "card"}};
  o["reason"] = reason;
  o["status"] = "needs_response";
  return o;
}

json::object event_json(const std::string& id, std::string_view type, std::int64_t created,
                        json::object object, std::optional<json::object> previous_attributes,
                        const std::optional<std::string>& request_id,
                        const std::optional<std::string>& idempotency_key) {
  json::object data{{"object", std::move(object)}};
  if (previous_attributes) {
    data["previous_attributes"] = std::move(*previous_attributes);
  }
  return {{"id", id},
          {"object", "event"},
          {"api_version", api_version},
          {"created", created},
          {"data", std::move(data)},
          {"livemode", false},
          {"pending_webhooks", 1},
          {"request", {{"id", opt(request_id)}, {"idempotency_key", opt(idempotency_key)}}},
          {"type", type}};
}

}  // namespace fake_stripe

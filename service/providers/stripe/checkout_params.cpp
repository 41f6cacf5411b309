#include "providers/stripe/checkout_params.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "http/form.hpp"

namespace supportd::providers::stripe {
namespace {

// Locales Checkout knows; anything else is left to Stripe ("auto").
constexpr std::array<std::string_view, 20> checkout_locales = {
    "da", "de", "en", "en-GB", "es", "es-419", "fi", "fr", "fr-CA", "it",
    "ja", "nb", "nl", "pl",    "pt", "pt-BR",  "sv", "zh", "zh-HK", "zh-TW"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

form_params checkout_session_params(const providers::checkout_request& r,
                                    const checkout_options& options) {
  const bool recurring = r.every != common::interval::once;
  form_params p;
  p.emplace_back("mode", recurring ? "subscription" : "payment");
  p.emplace_back("line_items[0][quantity]", "1");
  p.emplace_back("line_items[0][price_data][currency]", lower(r.money.code));
  p.emplace_back("line_items[0][price_data][unit_amount]", std::to_string(r.amount_minor));
  p.emplace_back("line_items[0][price_data][product_data][name]", options.product_name);
  if (recurring) {
    p.emplace_back("line_items[0][price_data][recurring][interval]",
                   std::string(common::to_string(r.every)));
    p.emplace_back("subscription_data[metadata][pledge_id]", r.pledge_id);
  } else {
    // Stripe allows submit_type only for one-time payments.
    p.emplace_back("submit_type", "donate");
    p.emplace_back("payment_intent_data[metadata][pledge_id]", r.pledge_id);
  }
  p.emplace_back("client_reference_id", r.pledge_id);
  p.emplace_back("metadata[pledge_id]", r.pledge_id);
  if (!r.campaign.empty()) {
    p.emplace_back("metadata[campaign]", r.campaign);
  }
  p.emplace_back("customer_email", r.customer_email);
  p.emplace_back("success_url", r.success_url);
  p.emplace_back("cancel_url", r.cancel_url);
  const auto& pickable = options.pickable_methods;
  if (!r.payment_method.empty() &&
      std::find(pickable.begin(), pickable.end(), r.payment_method) != pickable.end()) {
    p.emplace_back("payment_method_types[0]", r.payment_method);
  } else if (!options.payment_method_configuration.empty()) {
    p.emplace_back("payment_method_configuration", options.payment_method_configuration);
  }
  p.emplace_back("locale", contains(checkout_locales, r.locale) ? r.locale : "auto");
  return p;
}

std::string encode(const form_params& params) {
  std::string body;
  for (const auto& [key, value] : params) {
    if (!body.empty()) {
      body += '&';
    }
    body += http::encode_form_component(key);
    body += '=';
    body += http::encode_form_component(value);
  }
  return body;
}

std::string checkout_idempotency_key(const std::string& pledge_id) {
  return "supportd-checkout-" + pledge_id;
}

}  // namespace supportd::providers::stripe

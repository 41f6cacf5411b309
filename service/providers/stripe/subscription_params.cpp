#include "providers/stripe/subscription_params.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>

namespace supportd::providers::stripe {
namespace {

namespace json = boost::json;

const json::value* member(const json::value* v, std::string_view key) {
  return v != nullptr && v->is_object() ? v->as_object().if_contains(key) : nullptr;
}

std::optional<std::string> text(const json::value* v) {
  if (v == nullptr || !v->is_string()) {
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<std::int64_t> integer(const json::value* v) {
  if (v == nullptr || !v->is_int64()) {
    return std::nullopt;
  }
  return v->as_int64();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool is_object_id(std::string_view id) {
  return !id.empty() && id.size() <= 255 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string subscription_path(std::string_view subscription_id) {
  return "/v1/subscriptions/" + std::string(subscription_id);
}

std::optional<subscription_item> parse_subscription_item(std::string_view body) {
  boost::system::error_code ec;
  auto root = json::parse(body, ec);
  if (ec) {
    return std::nullopt;
  }
  const auto* data = member(member(&root, "items"), "data");
  if (data == nullptr || !data->is_array() || data->as_array().size() != 1) {
    return std::nullopt;
  }
  const auto* item = &data->as_array().front();
  const auto* price = member(item, "price");
  const auto* recurring = member(price, "recurring");
  subscription_item out;
  auto id = text(member(item, "id"));
  // `product` is an id unless the caller expanded it.
  auto product = text(member(price, "product"));
  auto amount = integer(member(price, "unit_amount"));
  auto currency = text(member(price, "currency"));
  auto interval = text(member(recurring, "interval"));
  auto count = integer(member(recurring, "interval_count"));
  if (!id || !product || !amount || !currency || !interval || !count) {
    return std::nullopt;
  }
  out.id = std::move(*id);
  out.product = std::move(*product);
  out.unit_amount = *amount;
  out.currency = std::move(*currency);
  out.interval = std::move(*interval);
  out.interval_count = *count;
  out.quantity = integer(member(item, "quantity")).value_or(1);
  return out;
}

std::string amount_change_mismatch(const subscription_item& item,
                                   const providers::amount_change& change) {
  const auto currency = lower(change.money.code);
  if (item.currency != currency) {
    return "the subscription bills in " + item.currency + ", the change is in " + currency;
  }
  const auto interval = std::string(common::to_string(change.every));
  if (item.interval != interval || item.interval_count != 1) {
    return "the subscription renews every " + std::to_string(item.interval_count) + " " +
           item.interval + ", the pledge every " + interval;
  }
  if (item.quantity != 1) {
    return "the subscription's item is " + std::to_string(item.quantity) + " units";
  }
  return {};
}

form_params amount_change_params(const subscription_item& item, std::int64_t amount_minor) {
  form_params p;
  p.emplace_back("items[0][id]", item.id);
  p.emplace_back("items[0][price_data][currency]", item.currency);
  p.emplace_back("items[0][price_data][product]", item.product);
  p.emplace_back("items[0][price_data][unit_amount]", std::to_string(amount_minor));
  p.emplace_back("items[0][price_data][recurring][interval]", item.interval);
  p.emplace_back("items[0][price_data][recurring][interval_count]",
                 std::to_string(item.interval_count));
  p.emplace_back("proration_behavior", "none");
  return p;
}

form_params pause_collection_params(std::int64_t resumes_at_unix) {
  form_params p;
  if (resumes_at_unix == 0) {
    p.emplace_back("pause_collection", "");
    return p;
  }
  p.emplace_back("pause_collection[behavior]", "void");
  p.emplace_back("pause_collection[resumes_at]", std::to_string(resumes_at_unix));
  return p;
}

}  // namespace supportd::providers::stripe

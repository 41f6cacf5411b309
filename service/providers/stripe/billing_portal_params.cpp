#include "providers/stripe/billing_portal_params.hpp"

#include <boost/json/parse.hpp>

namespace supportd::providers::stripe {

form_params billing_portal_session_params(std::string_view customer_id,
                                          std::string_view return_url) {
  form_params p;
  p.emplace_back("customer", customer_id);
  p.emplace_back("flow_data[type]", "payment_method_update");
  if (!return_url.empty()) {
    p.emplace_back("return_url", return_url);
    p.emplace_back("flow_data[after_completion][type]", "redirect");
    p.emplace_back("flow_data[after_completion][redirect][return_url]", return_url);
  }
  return p;
}

std::optional<std::string> parse_billing_portal_url(std::string_view body) {
  boost::system::error_code ec;
  auto json = boost::json::parse(body, ec);
  if (ec || !json.is_object()) {
    return std::nullopt;
  }
  const auto& session = json.as_object();
  const auto* object = session.if_contains("object");
  const auto* url = session.if_contains("url");
  if (object == nullptr || !object->is_string() ||
      object->as_string() != "billing_portal.session" || url == nullptr || !url->is_string() ||
      url->as_string().empty()) {
    return std::nullopt;
  }
  return std::string(url->as_string());
}

}  // namespace supportd::providers::stripe

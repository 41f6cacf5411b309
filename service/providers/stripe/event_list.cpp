#include "providers/stripe/event_list.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/form.hpp"

namespace supportd::providers::stripe {

std::string event_list_target(const providers::event_page_request& request) {
  std::string target = "/v1/events?created[gte]=" + std::to_string(request.created_from) +
                       "&limit=" + std::to_string(request.limit);
  for (auto type : request.types) {
    target += "&types[]=";
    target += http::encode_form_component(type);
  }
  if (!request.after.empty()) {
    target += "&starting_after=";
    target += http::encode_form_component(request.after);
  }
  return target;
}

std::optional<providers::event_page> parse_event_list(std::string_view body) {
  namespace json = boost::json;
  boost::system::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return std::nullopt;
  }
  const auto& list = parsed.as_object();
  const auto* object = list.if_contains("object");
  const auto* data = list.if_contains("data");
  const auto* has_more = list.if_contains("has_more");
  if (!object || *object != "list" || !data || !data->is_array() || !has_more ||
      !has_more->is_bool()) {
    return std::nullopt;
  }
  providers::event_page page;
  page.has_more = has_more->as_bool();
  for (const auto& item : data->as_array()) {
    const auto* event = item.if_object();
    const auto* id = event ? event->if_contains("id") : nullptr;
    const auto* type = event ? event->if_contains("type") : nullptr;
    const auto* created = event ? event->if_contains("created") : nullptr;
    if (!id || !id->is_string() || !type || !type->is_string() || !created ||
        !created->is_int64()) {
      return std::nullopt;
    }
    page.events.push_back({std::string(id->as_string()), std::string(type->as_string()),
                           created->as_int64(), json::serialize(item)});
  }
  return page;
}

}  // namespace supportd::providers::stripe

#include "reminders/reminder_message.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "reminders/schedule.hpp"

namespace supportd::reminders {

std::string webhook_id(std::string_view id, const v1::Reminder& r) {
  std::string out = "rem_";
  out += id;
  out += '_';
  out += std::to_string(r.occurrence());
  return out;
}

std::string give_url(std::string_view give_base, const v1::Reminder& r) {
  auto parsed = boost::urls::parse_uri_reference(give_base);
  if (!parsed) {
    return std::string(give_base);
  }
  boost::urls::url url(*parsed);
  auto params = url.params();
  params.set("source", "reminder");
  if (!r.campaign().empty()) {
    params.set("campaign", r.campaign());
  }
  if (!r.component().empty()) {
    params.set("component", r.component());
  }
  return std::string(url.buffer());
}

std::string unsubscribe_url(std::string_view public_url, std::string_view id,
                            std::string_view token) {
  while (public_url.ends_with('/')) {
    public_url.remove_suffix(1);
  }
  boost::urls::url url(std::string(public_url) + "/v1/reminders/unsubscribe");
  url.params().append({"id", id});
  url.params().append({"token", token});
  return std::string(url.buffer());
}

std::string message_body(std::string_view id, const v1::Reminder& r, std::string_view email,
                         const message_links& links, std::int64_t now_unix) {
  boost::json::object data;
  data["reminder_id"] = id;
  data["occurrence"] = r.occurrence();
  data["email"] = email;
  data["locale"] = r.locale();
  data["campaign"] = r.campaign();
  data["component"] = r.component();
  data["page_url"] = r.page_url();
  data["due_at"] = format_rfc3339_utc(r.due_at_unix());
  if (r.every_months() > 0) {
    data["every_months"] = r.every_months();
  }
  data["give_url"] = links.give_url;
  data["unsubscribe_url"] = links.unsubscribe_url;
  boost::json::object envelope;
  envelope["type"] = "reminder.due";
  envelope["timestamp"] = format_rfc3339_utc(now_unix);
  envelope["data"] = std::move(data);
  return boost::json::serialize(envelope);
}

}  // namespace supportd::reminders

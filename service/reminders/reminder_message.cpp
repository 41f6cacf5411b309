#include "reminders/reminder_message.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "common/url.hpp"
#include "core/clock.hpp"
#include "log/logger.hpp"
#include "reminders/schedule.hpp"

namespace supportd::reminders {
namespace {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  log::append_json_escaped(out, text);
  out += '"';
}

}  // namespace

std::string webhook_id(std::string_view id, const v1::Reminder& r) {
  std::string out = "rem_";
  out += id;
  out += '_';
  out += std::to_string(r.occurrence());
  return out;
}

give_link::give_link(std::string_view give_base) : base_(give_base) {
  auto parsed = boost::urls::parse_uri_reference(give_base);
  if (!parsed) {
    verbatim_ = true;
    return;
  }
  boost::urls::url url(*parsed);
  auto params = url.params();
  params.set("source", "reminder");
  // Attribution the base names itself is replaced for each reminder, through the parser: rare.
  reparse_ = params.contains("campaign") || params.contains("component");
  if (url.has_fragment()) {
    fragment_ = "#";
    fragment_ += url.encoded_fragment();
    url.remove_fragment();
  }
  head_ = url.buffer();
}

std::string give_link::operator()(const v1::Reminder& r) const {
  if (verbatim_) {
    return base_;
  }
  if (reparse_) {
    return common::with_query(
        base_, {{"source", "reminder"}, {"campaign", r.campaign()}, {"component", r.component()}});
  }
  // The common case, put together as text: one of these is built for every delivery.
  std::string url = head_;
  if (!r.campaign().empty()) {
    url += "&campaign=";
    common::append_query_value(url, r.campaign());
  }
  if (!r.component().empty()) {
    url += "&component=";
    common::append_query_value(url, r.component());
  }
  url += fragment_;
  return url;
}

std::string unsubscribe_url(std::string_view public_url, std::string_view id,
                            std::string_view token) {
  return common::service_link(public_url, "/v1/reminders/unsubscribe",
                              {{"id", id}, {"token", token}});
}

std::string message_body(std::string_view id, const v1::Reminder& r, std::string_view email,
                         const message_links& links, std::int64_t now_unix) {
  // Written straight out rather than through a JSON tree: one of these is built for every
  // delivery. Members in a fixed order, strings escaped.
  std::string out;
  out.reserve(512 + email.size() + r.page_url().size() + links.give_url.size() +
              links.unsubscribe_url.size());
  out += R"({"type":"reminder.due","timestamp":")";
  out += core::format_rfc3339(now_unix);
  out += R"(","data":{"reminder_id":)";
  append_json_string(out, id);
  out += R"(,"occurrence":)";
  out += std::to_string(r.occurrence());
  out += R"(,"email":)";
  append_json_string(out, email);
  out += R"(,"locale":)";
  append_json_string(out, r.locale());
  out += R"(,"campaign":)";
  append_json_string(out, r.campaign());
  out += R"(,"component":)";
  append_json_string(out, r.component());
  out += R"(,"page_url":)";
  append_json_string(out, r.page_url());
  out += R"(,"due_at":")";
  out += core::format_rfc3339(r.due_at_unix());
  out += '"';
  if (r.every_months() > 0) {
    out += R"(,"every_months":)";
    out += std::to_string(r.every_months());
  }
  out += R"(,"give_url":)";
  append_json_string(out, links.give_url);
  out += R"(,"unsubscribe_url":)";
  append_json_string(out, links.unsubscribe_url);
  out += "}}";
  return out;
}

}  // namespace supportd::reminders

#include "pledges/pledge_message.hpp"

#include <array>
#include <utility>

#include "core/clock.hpp"
#include "log/logger.hpp"

namespace supportd::pledges {
namespace {

constexpr std::array<std::pair<message_type, std::string_view>, 5> type_names = {{
    {message_type::thank_you, "pledge.thank_you"},
    {message_type::payment_succeeded, "pledge.payment_succeeded"},
    {message_type::payment_failed, "pledge.payment_failed"},
    {message_type::renewal_upcoming, "pledge.renewal_upcoming"},
    {message_type::canceled, "pledge.canceled"},
}};

constexpr std::string_view type_prefix = "pledge.";

void append_string(std::string& out, std::string_view name, std::string_view text) {
  out += ",\"";
  out += name;
  out += "\":\"";
  log::append_json_escaped(out, text);
  out += '"';
}

void append_integer(std::string& out, std::string_view name, std::int64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

void append_time(std::string& out, std::string_view name, std::int64_t unix_seconds) {
  out += ",\"";
  out += name;
  out += "\":\"";
  out += core::format_rfc3339(unix_seconds);
  out += '"';
}

}  // namespace

std::string_view type_name(message_type t) {
  for (const auto& [type, name] : type_names) {
    if (type == t) {
      return name;
    }
  }
  return {};  // cannot happen: every enumerator is listed
}

std::optional<message_type> parse_message_type(std::string_view name) {
  for (const auto& [type, text] : type_names) {
    if (text == name) {
      return type;
    }
  }
  return std::nullopt;
}

std::string_view to_string(canceled_by who) {
  switch (who) {
    case canceled_by::reader:
      return "reader";
    case canceled_by::admin:
      return "admin";
    case canceled_by::provider:
      return "provider";
    case canceled_by::failed_payments:
      return "failed_payments";
  }
  return {};
}

std::string webhook_id(const message_facts& m) {
  std::string out = "pm_";
  out += m.pledge_id;
  out += '_';
  out += type_name(m.type).substr(type_prefix.size());
  out += '_';
  out += m.occurrence;
  return out;
}

std::string message_body(const message_facts& m, const message_reader& reader,
                         const message_links& links, std::int64_t now_unix) {
  // Written straight out, members in the order proto/events/ lists them, strings escaped: as
  // reminder.due's body (reminders/reminder_message.cpp).
  std::string out;
  out.reserve(640 + reader.email.size() + reader.name.size() + links.manage_url.size() +
              links.update_payment_url.size() + links.restart_url.size());
  out += R"({"type":")";
  out += type_name(m.type);
  out += R"(","timestamp":")";
  out += core::format_rfc3339(now_unix);
  out += R"(","data":{"pledge_id":")";
  log::append_json_escaped(out, m.pledge_id);
  out += '"';
  append_string(out, "email", reader.email);
  append_string(out, "name", reader.name);
  append_string(out, "locale", m.locale);
  append_integer(out, "amount_minor", m.amount_minor);
  append_string(out, "currency", m.currency);
  append_string(out, "interval", to_string(m.every));
  append_string(out, "campaign", m.campaign);
  switch (m.type) {
    case message_type::thank_you:
    case message_type::payment_succeeded:
      append_integer(out, "charged_minor", m.charged_minor);
      append_time(out, "charged_at", m.charged_at_unix);
      break;
    case message_type::payment_failed:
      append_integer(out, "attempt_count", m.attempt_count);
      if (m.next_retry_unix) {
        append_time(out, "next_retry_at", *m.next_retry_unix);
      }
      append_string(out, "update_payment_url", links.update_payment_url);
      break;
    case message_type::renewal_upcoming:
      append_integer(out, "charged_minor", m.charged_minor);
      append_time(out, "renews_at", m.charged_at_unix);
      break;
    case message_type::canceled:
      append_string(out, "canceled_by", to_string(m.ended_by));
      append_string(out, "restart_url", links.restart_url);
      break;
  }
  append_string(out, "manage_url", links.manage_url);
  out += "}}";
  return out;
}

}  // namespace supportd::pledges

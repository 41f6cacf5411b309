#include "portal_session_request.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "checkout_request.hpp"

namespace fake_stripe {

namespace {

using namespace std::string_view_literals;

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

template <std::size_t N>
std::string choices(const std::array<std::string_view, N>& set) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    out += (i == 0 ? "" : i + 1 == N ? ", or " : ", ") + std::string(set[i]);
  }
  return out;
}

constexpr std::array session_params = {"configuration"sv, "customer"sv, "expand"sv,
                                       "flow_data"sv,     "locale"sv,   "on_behalf_of"sv,
                                       "return_url"sv};
constexpr std::array flow_params = {"after_completion"sv, "subscription_cancel"sv,
                                    "subscription_update"sv, "subscription_update_confirm"sv,
                                    "type"sv};
constexpr std::array after_completion_params = {"hosted_confirmation"sv, "redirect"sv, "type"sv};
constexpr std::array flow_types = {"payment_method_update"sv, "subscription_cancel"sv,
                                   "subscription_update"sv, "subscription_update_confirm"sv};
constexpr std::array after_completion_types = {"hosted_confirmation"sv, "portal_homepage"sv,
                                               "redirect"sv};
constexpr std::array portal_locales = {
    "auto"sv,  "bg"sv,    "cs"sv,    "da"sv,    "de"sv,    "el"sv,    "en"sv,   "en-AU"sv,
    "en-CA"sv, "en-GB"sv, "en-IE"sv, "en-IN"sv, "en-NZ"sv, "en-SG"sv, "es"sv,   "es-419"sv,
    "et"sv,    "fi"sv,    "fil"sv,   "fr"sv,    "fr-CA"sv, "hr"sv,    "hu"sv,   "id"sv,
    "it"sv,    "ja"sv,    "ko"sv,    "lt"sv,    "lv"sv,    "ms"sv,    "mt"sv,   "nb"sv,
    "nl"sv,    "pl"sv,    "pt"sv,    "pt-BR"sv, "ro"sv,    "ru"sv,    "sk"sv,   "sl"sv,
    "sv"sv,    "th"sv,    "tr"sv,    "vi"sv,    "zh"sv,    "zh-HK"sv, "zh-TW"sv};

std::string key_of(const std::vector<std::string>& segments, std::size_t n) {
  std::string key = segments[0];
  for (std::size_t i = 1; i < n && i < segments.size(); ++i) {
    key += "[" + segments[i] + "]";
  }
  return key;
}

// Unknown names and empty strings (nothing here can be unset).
std::optional<stripe_error> check_key(const std::vector<std::string>& s, const std::string& value) {
  if (!one_of(s[0], session_params)) {
    return parameter_unknown(s[0]);
  }
  if (s[0] == "expand") {
    return std::nullopt;
  }
  if (s[0] == "on_behalf_of") {
    return invalid_request("fake-stripe does not model on_behalf_of (Connect).", "on_behalf_of");
  }
  if (s[0] == "flow_data") {
    if (s.size() < 2) {
      return invalid_request("Invalid object", "flow_data");
    }
    if (!one_of(s[1], flow_params)) {
      return parameter_unknown(key_of(s, 2));
    }
    if (s[1] == "after_completion") {
      if (s.size() < 3) {
        return invalid_request("Invalid object", key_of(s, 2));
      }
      if (!one_of(s[2], after_completion_params)) {
        return parameter_unknown(key_of(s, 3));
      }
      if (s[2] == "redirect" && (s.size() != 4 || s[3] != "return_url")) {
        return s.size() < 4 ? invalid_request("Invalid object", key_of(s, 3))
                            : parameter_unknown(key_of(s, 4));
      }
      if (s[2] == "hosted_confirmation" && (s.size() != 4 || s[3] != "custom_message")) {
        return s.size() < 4 ? invalid_request("Invalid object", key_of(s, 3))
                            : parameter_unknown(key_of(s, 4));
      }
    } else if (s[1] != "type") {
      // The subscription flows need subscriptions and prices the portal would show and change.
      return invalid_request("fake-stripe opens only payment_method_update flows.", key_of(s, 2));
    }
  } else if (s.size() > 1) {
    return invalid_request("Invalid " + s[0], s[0]);
  }
  if (value.empty()) {
    return parameter_invalid_empty(key_of(s, s.size()));
  }
  return std::nullopt;
}

}  // namespace

portal_session_result parse_portal_session_request(const form_params& params) {
  for (const auto& [key, value] : params.flat()) {
    auto segments = split_key(key);
    if (!segments) {
      return invalid_request("Invalid request: malformed parameter name " + key);
    }
    if (auto e = check_key(*segments, value)) {
      return *e;
    }
  }
  portal_session_request r;
  auto customer = params.find("customer");
  if (!customer) {
    return parameter_missing("customer");
  }
  r.customer = *customer;
  if (auto v = params.find("configuration")) {
    r.configuration = *v;
  }
  if (auto v = params.find("return_url")) {
    if (!is_http_url(*v)) {
      return invalid_request("Not a valid URL", "return_url", "url_invalid");
    }
    r.return_url = *v;
  }
  if (auto v = params.find("locale")) {
    if (!one_of(std::string_view(*v), portal_locales)) {
      return invalid_enum("locale", choices(portal_locales));
    }
    r.locale = *v;
  }
  if (params.has_under("flow_data")) {
    portal_flow flow;
    auto type = params.find("flow_data[type]");
    if (!type) {
      return parameter_missing("flow_data[type]");
    }
    if (!one_of(std::string_view(*type), flow_types)) {
      return invalid_enum("flow_data[type]", choices(flow_types));
    }
    if (*type != "payment_method_update") {
      return invalid_request("fake-stripe opens only payment_method_update flows.",
                             "flow_data[type]");
    }
    flow.type = *type;
    if (params.has_under("flow_data[after_completion]")) {
      auto after = params.find("flow_data[after_completion][type]");
      if (!after) {
        return parameter_missing("flow_data[after_completion][type]");
      }
      if (!one_of(std::string_view(*after), after_completion_types)) {
        return invalid_enum("flow_data[after_completion][type]", choices(after_completion_types));
      }
      flow.after_completion = *after;
      auto url = params.find("flow_data[after_completion][redirect][return_url]");
      if (*after == "redirect") {
        if (!url) {
          return parameter_missing("flow_data[after_completion][redirect][return_url]");
        }
        if (!is_http_url(*url)) {
          return invalid_request("Not a valid URL",
                                 "flow_data[after_completion][redirect][return_url]",
                                 "url_invalid");
        }
        flow.redirect_url = *url;
      } else if (url) {
        return invalid_request(
            "flow_data[after_completion][redirect] is only allowed when "
            "flow_data[after_completion][type] is redirect.",
            "flow_data[after_completion][redirect]");
      }
      auto message =
          params.find("flow_data[after_completion][hosted_confirmation][custom_message]");
      if (message && *after != "hosted_confirmation") {
        return invalid_request(
            "flow_data[after_completion][hosted_confirmation] is only allowed when "
            "flow_data[after_completion][type] is hosted_confirmation.",
            "flow_data[after_completion][hosted_confirmation]");
      }
      if (message) {
        flow.custom_message = *message;
      }
    }
    r.flow = std::move(flow);
  }
  return r;
}

}  // namespace fake_stripe

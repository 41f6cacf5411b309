#include "stripe_error.hpp"

#include <boost/json/object.hpp>

#include "stripe_json.hpp"

namespace fake_stripe {
namespace json = boost::json;

std::string stripe_error::body() const {
  json::object error;
  if (code) {
    error["code"] = *code;
    std::string slug = *code;
    for (char& c : slug) {
      if (c == '_') {
        c = '-';
      }
    }
    error["doc_url"] = "https://stripe.com/docs/error-codes/" + slug;
  }
  error["message"] = message;
  if (param) {
    error["param"] = *param;
  }
  error["type"] = type;
  json::object root;
  root["error"] = std::move(error);
  return to_stripe_json(root);
}

stripe_error parameter_missing(std::string_view param) {
  return {400, "invalid_request_error", "parameter_missing",
          "Missing required param: " + std::string(param) + ".", std::string(param)};
}

stripe_error parameter_unknown(std::string_view param) {
  return {400, "invalid_request_error", "parameter_unknown",
          "Received unknown parameter: " + std::string(param), std::string(param)};
}

stripe_error parameter_invalid_empty(std::string_view param) {
  std::string p(param);
  return {400, "invalid_request_error", "parameter_invalid_empty",
          "You passed an empty string for '" + p +
              "'. We assume empty values are an attempt to unset a parameter; however '" + p +
              "' cannot be unset. You should remove '" + p +
              "' from your request or supply a non-empty value.",
          p};
}

stripe_error parameter_invalid_integer(std::string_view param, std::string_view value) {
  return {400, "invalid_request_error", "parameter_invalid_integer",
          "Invalid integer: " + std::string(value), std::string(param)};
}

stripe_error invalid_enum(std::string_view param, std::string_view choices) {
  return {400, "invalid_request_error", std::nullopt,
          "Invalid " + std::string(param) + ": must be one of " + std::string(choices),
          std::string(param)};
}

stripe_error invalid_request(std::string message, std::optional<std::string> param,
                             std::optional<std::string> code) {
  return {400, "invalid_request_error", std::move(code), std::move(message), std::move(param)};
}

stripe_error resource_missing(std::string_view what, std::string_view id, std::string_view param) {
  return {404, "invalid_request_error", "resource_missing",
          "No such " + std::string(what) + ": '" + std::string(id) + "'", std::string(param)};
}

}  // namespace fake_stripe

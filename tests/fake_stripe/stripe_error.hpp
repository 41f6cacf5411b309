// Stripe's error responses: `{"error":{"type":…,"code":…,"message":…,"param":…,"doc_url":…}}`
// with the status Stripe answers them with.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fake_stripe {

struct stripe_error {
  int status = 400;
  std::string type = "invalid_request_error";
  std::optional<std::string> code;
  std::string message;
  std::optional<std::string> param;

  // The response body, as Stripe serialises it (`doc_url` for coded errors).
  std::string body() const;
};

// Missing required param: line_items[0][quantity].
stripe_error parameter_missing(std::string_view param);
// Received unknown parameter: foo.
stripe_error parameter_unknown(std::string_view param);
// An empty string for a parameter that cannot be unset.
stripe_error parameter_invalid_empty(std::string_view param);
// Invalid integer: abc.
stripe_error parameter_invalid_integer(std::string_view param, std::string_view value);
// Invalid <param>: must be one of a, b, or c (Stripe sends no code with these).
stripe_error invalid_enum(std::string_view param, std::string_view choices);
// A plain invalid_request_error with a message (and optionally a param and code).
stripe_error invalid_request(std::string message, std::optional<std::string> param = std::nullopt,
                             std::optional<std::string> code = std::nullopt);
// 404 No such checkout session: 'cs_…'.
stripe_error resource_missing(std::string_view what, std::string_view id, std::string_view param);

}  // namespace fake_stripe

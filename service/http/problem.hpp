// Error responses as RFC 9457 problem details (`application/problem+json`).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace supportd::http {

struct problem {
  int status = 500;
  // A short, stable, machine-readable code; the type URI is derived from it.
  std::string code;
  std::string title;
  std::string detail;
  // Extra members, already JSON-encoded values (e.g. the list of invalid fields).
  std::vector<std::pair<std::string, std::string>> extensions;
};

// One field of a request that failed validation.
struct field_error {
  std::string field;
  std::string code;  // machine-readable: required, invalid, too_small, too_large, …
  std::string message;
};

// {"type":"https://supportd.dev/problems/<code>","title":…,"status":…,"detail":…,…}
std::string to_json(const problem& p);

response make_problem_response(const problem& p);
response make_problem_response(int status, std::string code, std::string title, std::string detail);
// Invalid fields: 422 with invalid_fields() for scripts; a plain HTML form post with a
// `form_error_url` goes back there instead (303, ?error=<code>&field=<name> of the first).
response invalid_fields_response(const std::vector<field_error>& errors, bool plain_form,
                                 std::string_view form_error_url);
// 503 with `Retry-After: 1`: Redis is not answering.
response store_unavailable_response();
// 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3): `what` names the token to send.
response unauthorized_response(std::string_view what);
// 503 with `Retry-After: 1`: Redis took the write, but fewer of its replicas than
// --redis-wait-replicas confirmed it in time, so a failover could still lose it. Sending the
// request again is safe: Stripe's retried webhook is deduplicated, a pledge's Idempotency-Key
// replays the stored answer once it is replicated.
response store_not_replicated_response();

// Common problems, named for what went wrong.
problem not_found();
problem method_not_allowed(std::string_view allowed);
problem bad_request(std::string detail);
problem payload_too_large(std::size_t limit);
problem headers_too_large(std::size_t limit);
problem service_unavailable(std::string code, std::string detail);
problem internal_error();
// 422 with `errors`: every bad field, so a form can mark them all at once.
problem invalid_fields(const std::vector<field_error>& errors);
// 503 because Redis is not answering.
problem store_unavailable();

}  // namespace supportd::http

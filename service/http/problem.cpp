#include "http/problem.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http/form.hpp"

namespace supportd::http {

std::string to_json(const problem& p) {
  // Members always in this order: a Boost.JSON object keeps the order they are added in.
  boost::json::object body;
  body["type"] = "https://supportd.dev/problems/" + p.code;
  body["title"] = p.title;
  body["status"] = p.status;
  if (!p.detail.empty()) {
    body["detail"] = p.detail;
  }
  body["code"] = p.code;
  // Extension values arrive as JSON text, which keeps Boost.JSON out of problem.hpp (included
  // by most of the service); the few problems that have any are not on a busy path.
  for (const auto& [key, json_value] : p.extensions) {
    body[key] = boost::json::parse(json_value);
  }
  return boost::json::serialize(body);
}

response make_problem_response(const problem& p) {
  response r;
  r.status = p.status;
  r.content_type = "application/problem+json";
  r.body = to_json(p);
  return r;
}

response make_problem_response(int status, std::string code, std::string title,
                               std::string detail) {
  return make_problem_response({status, std::move(code), std::move(title), std::move(detail), {}});
}

response invalid_fields_response(const std::vector<field_error>& errors, bool plain_form,
                                 std::string_view form_error_url) {
  if (plain_form && !form_error_url.empty() && !errors.empty()) {
    std::string location(form_error_url);
    location += location.find('?') == std::string::npos ? '?' : '&';
    location += "error=" + encode_form_component(errors.front().code);
    location += "&field=" + encode_form_component(errors.front().field);
    return response::see_other(std::move(location));
  }
  return make_problem_response(invalid_fields(errors));
}

response unauthorized_response(std::string_view what) {
  auto r = make_problem_response({401,
                                  "unauthorized",
                                  "Unauthorized",
                                  "Send " + std::string(what) + " as a Bearer token.",
                                  {}});
  r.with_header("WWW-Authenticate", "Bearer");
  return r;
}

response store_unavailable_response() {
  auto r = make_problem_response(store_unavailable());
  r.with_header("Retry-After", "1");
  return r;
}

response store_not_replicated_response() {
  auto r =
      make_problem_response(service_unavailable("store_not_replicated",
                                                "Stored, but not yet confirmed by enough replicas "
                                                "of our data store; send it again shortly."));
  r.with_header("Retry-After", "1");
  return r;
}

problem not_found() {
  return {404, "not_found", "Not Found", "No such resource.", {}};
}

problem method_not_allowed(std::string_view allowed) {
  return {405,
          "method_not_allowed",
          "Method Not Allowed",
          "This resource accepts: " + std::string(allowed) + ".",
          {}};
}

problem bad_request(std::string detail) {
  return {400, "bad_request", "Bad Request", std::move(detail), {}};
}

problem payload_too_large(std::size_t limit) {
  return {413,
          "payload_too_large",
          "Payload Too Large",
          "The request body exceeds " + std::to_string(limit) + " bytes.",
          {{"limit_bytes", std::to_string(limit)}}};
}

problem headers_too_large(std::size_t limit) {
  return {431,
          "headers_too_large",
          "Request Header Fields Too Large",
          "The request header exceeds " + std::to_string(limit) + " bytes.",
          {{"limit_bytes", std::to_string(limit)}}};
}

problem service_unavailable(std::string code, std::string detail) {
  return {503, std::move(code), "Service Unavailable", std::move(detail), {}};
}

problem invalid_fields(const std::vector<field_error>& errors) {
  boost::json::array fields;
  for (const auto& e : errors) {
    fields.push_back(
        boost::json::object{{"field", e.field}, {"code", e.code}, {"message", e.message}});
  }
  return {422,
          "invalid_fields",
          "Unprocessable Content",
          "Some fields are missing or invalid; see `errors`.",
          {{"errors", boost::json::serialize(fields)}}};
}

problem store_unavailable() {
  return service_unavailable("store_unavailable",
                             "Our data store is not answering; try again shortly.");
}

problem internal_error() {
  return {500,
          "internal_error",
          "Internal Server Error",
          "Something went wrong on our side; the request id identifies it in our logs.",
          {}};
}

}  // namespace supportd::http

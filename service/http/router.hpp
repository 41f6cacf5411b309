// The route table: method + path pattern -> handler. Patterns are literal segments and `{name}`
// placeholders that match one non-empty segment. HEAD matches GET routes.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "http/message.hpp"

namespace supportd::http {

// A route's handler, bound to what it uses on one worker thread (its feature's context): each
// worker has its own table.
using handler = std::function<awaitable<response>(const request&)>;

// A feature's handler `f(request, context)` bound to one worker's context.
template <class Context>
handler bind_to(awaitable<response> (*f)(const request&, Context&), Context& context) {
  return [f, &context](const request& req) { return f(req, context); };
}

struct route {
  std::string_view method;
  std::string_view pattern;
  handler handle;
};

struct route_match {
  const route* matched = nullptr;
  // Methods that would match the path, for 405's Allow header; empty when no path matched.
  std::string allowed;
  std::vector<std::pair<std::string_view, std::string_view>> params;
};

class router {
 public:
  explicit router(std::vector<route> routes) : routes_(std::move(routes)) {}

  route_match match(std::string_view method, std::string_view path) const;

 private:
  std::vector<route> routes_;
};

}  // namespace supportd::http

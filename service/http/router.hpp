// The route table: method + path pattern -> handler. Patterns are literal segments and `{name}`
// placeholders that match one non-empty segment. HEAD matches GET routes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.hpp"
#include "http/message.hpp"

namespace supportd {
struct services;
}

namespace supportd::http {

using handler = awaitable<response> (*)(const request&, services&);

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

#include "http/router.hpp"

namespace supportd::http {
namespace {

// Next segment of `path` after a leading '/', advancing `path` past it.
std::string_view next_segment(std::string_view& path) {
  if (path.starts_with('/')) {
    path.remove_prefix(1);
  }
  auto end = path.find('/');
  auto segment = path.substr(0, end);
  path.remove_prefix(end == std::string_view::npos ? path.size() : end);
  return segment;
}

bool match_pattern(std::string_view pattern, std::string_view path,
                   std::vector<std::pair<std::string_view, std::string_view>>& params) {
  params.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty()) {
      return false;
    }
    auto want = next_segment(pattern);
    auto have = next_segment(path);
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      if (have.empty()) {
        return false;
      }
      params.emplace_back(want.substr(1, want.size() - 2), have);
    } else if (want != have) {
      return false;
    }
  }
  return true;
}

}  // namespace

route_match router::match(std::string_view method, std::string_view path) const {
  route_match result;
  std::vector<std::pair<std::string_view, std::string_view>> params;
  for (const auto& r : routes_) {
    if (!match_pattern(r.pattern, path, params)) {
      continue;
    }
    // HEAD is answered by the GET route; the session sends the header only.
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      result.matched = &r;
      result.params = std::move(params);
      return result;
    }
    // Several patterns may match one path (/v1/reminders/unsubscribe and /v1/reminders/{id}):
    // name each method once.
    bool listed = false;
    for (auto start = result.allowed.find(r.method); start != std::string::npos && !listed;
         start = result.allowed.find(r.method, start + 1)) {
      auto end = start + r.method.size();
      listed = (start == 0 || result.allowed[start - 1] == ' ') &&
               (end == result.allowed.size() || result.allowed[end] == ',');
    }
    if (listed) {
      continue;
    }
    if (!result.allowed.empty()) {
      result.allowed += ", ";
    }
    result.allowed += r.method;
  }
  return result;
}

}  // namespace supportd::http

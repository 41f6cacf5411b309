// A Lua script run with EVALSHA, falling back to EVAL when Redis answers NOSCRIPT (after a
// restart or SCRIPT FLUSH).
#pragma once

#include <string>
#include <string_view>

namespace supportd::redis {

class script {
 public:
  explicit script(std::string body);

  const std::string& body() const { return body_; }
  // Lowercase hex SHA-1 of the body, as Redis names scripts.
  const std::string& sha1() const { return sha1_; }

 private:
  std::string body_;
  std::string sha1_;
};

}  // namespace supportd::redis

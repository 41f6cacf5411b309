#include "http/cors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace supportd::http {
namespace {

TEST(Cors, ExactMatchAllowlist) {
  std::vector<std::string> allowed = {"https://news.example"};
  http::request req;
  std::vector<http::header> headers = {{"Origin", "https://news.example"}};
  req.headers = headers;
  EXPECT_EQ(http::check_origin(req, allowed), http::origin_verdict::allowed);
  auto ok = http::preflight(req, allowed, "POST", "Content-Type");
  EXPECT_EQ(ok.status, 204);
  bool allow_origin = false;
  for (const auto& [name, value] : ok.headers) {
    EXPECT_NE(name, "Access-Control-Allow-Credentials");
    allow_origin |= name == "Access-Control-Allow-Origin" && value == "https://news.example";
  }
  EXPECT_TRUE(allow_origin);

  headers = {{"Origin", "https://news.example.evil.com"}};
  req.headers = headers;
  EXPECT_EQ(http::check_origin(req, allowed), http::origin_verdict::refused);
  EXPECT_EQ(http::preflight(req, allowed, "POST", "Content-Type").status, 403);
  headers = {{"Origin", "http://news.example"}};
  req.headers = headers;
  EXPECT_EQ(http::check_origin(req, allowed), http::origin_verdict::refused);
  headers.clear();
  req.headers = headers;
  EXPECT_EQ(http::check_origin(req, allowed), http::origin_verdict::none);
}

}  // namespace
}  // namespace supportd::http

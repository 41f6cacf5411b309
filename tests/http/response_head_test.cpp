#include "http/response_head.hpp"

#include <gtest/gtest.h>

namespace supportd::http {
namespace {

TEST(ResponseHead, StatusLineLengthAndStandardFields) {
  auto res = response::json(201, R"({"id":"x"})");
  std::string out;
  append_response_head(out, res, {11, true, false, "req-1"});
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nServer: supportd\r\nContent-Type: application/json\r\n"
            "Content-Length: 10\r\nX-Request-Id: req-1\r\nX-Content-Type-Options: nosniff\r\n\r\n");
}

TEST(ResponseHead, HstsOnTlsCloseAndHttp10KeepAlive) {
  response res;
  std::string tls;
  append_response_head(tls, res, {11, false, true, "r"});
  EXPECT_NE(tls.find("Strict-Transport-Security: max-age=63072000\r\n"), std::string::npos);
  EXPECT_NE(tls.find("Connection: close\r\n"), std::string::npos);

  std::string old;
  append_response_head(old, res, {10, true, false, "r"});
  EXPECT_TRUE(old.starts_with("HTTP/1.0 200 OK\r\n"));
  EXPECT_NE(old.find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(ResponseHead, HeaderValuesCannotSplitTheResponse) {
  response res;
  res.with_header("Location", "https://x/\r\nSet-Cookie: evil=1");
  std::string out;
  append_response_head(out, res, {11, true, false, "r"});
  EXPECT_EQ(out.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(out.find("Location: https://x/  Set-Cookie: evil=1\r\n"), std::string::npos);
}

}  // namespace
}  // namespace supportd::http

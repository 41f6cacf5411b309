#include "http/client_address.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace supportd::http {
namespace {

std::string_view from(const std::vector<header>& headers, unsigned hops = 1) {
  request req;
  req.client_address = "10.0.0.1";
  req.headers = headers;
  return client_address(req, "X-Forwarded-For", hops);
}

TEST(ClientAddress, SeveralFieldLinesAreOneListAndTheLastEntryCounts) {
  // The client sends its own line; the proxy appends its line after it (RFC 9110 section 5.3).
  EXPECT_EQ(from({{"X-Forwarded-For", "6.6.6.6"}, {"x-forwarded-for", "203.0.113.9"}}),
            "203.0.113.9");
  EXPECT_EQ(from({{"X-Forwarded-For", "6.6.6.6, 7.7.7.7"},
                  {"Host", "support.example"},
                  {"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}}),
            "203.0.113.9");
  EXPECT_EQ(from({{"X-Forwarded-For", "1.2.3.4, 203.0.113.9"}}), "203.0.113.9");
  EXPECT_EQ(from({{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-For", " , "}}),
            "203.0.113.9");  // empty list elements are no entries
}

TEST(ClientAddress, TrustedHopsCountFromTheRightAcrossLines) {
  const std::vector<header> lines = {{"X-Forwarded-For", "6.6.6.6"},
                                     {"X-Forwarded-For", "203.0.113.9, 192.0.2.10"},
                                     {"X-Forwarded-For", "10.1.1.1"}};
  EXPECT_EQ(from(lines, 1), "10.1.1.1");
  EXPECT_EQ(from(lines, 2), "192.0.2.10");
  EXPECT_EQ(from(lines, 3), "203.0.113.9");
  EXPECT_EQ(from(lines, 4), "6.6.6.6");
  // Fewer entries than trusted proxies: nothing trustworthy in it, the peer is used.
  EXPECT_EQ(from(lines, 5), "10.0.0.1");
}

TEST(ClientAddress, WithoutTheHeaderOrWithNonsenseThePeerCounts) {
  EXPECT_EQ(from({}), "10.0.0.1");
  const std::string too_long = "1.2.3.4, " + std::string(46, 'a');
  EXPECT_EQ(from({{"X-Forwarded-For", too_long}}), "10.0.0.1");
  request req;
  req.client_address = "10.0.0.1";
  std::vector<header> headers = {{"X-Forwarded-For", "1.2.3.4"}};
  req.headers = headers;
  EXPECT_EQ(client_address(req, ""), "10.0.0.1");
}

TEST(ClientAddress, TrustedProxyHeaderLastEntry) {
  http::request req;
  req.client_address = "10.0.0.1";
  std::vector<http::header> headers = {{"X-Forwarded-For", "1.2.3.4, 203.0.113.9"}};
  req.headers = headers;
  EXPECT_EQ(http::client_address(req, ""), "10.0.0.1");
  EXPECT_EQ(http::client_address(req, "X-Forwarded-For"), "203.0.113.9");
  headers.clear();
  req.headers = headers;
  EXPECT_EQ(http::client_address(req, "X-Forwarded-For"), "10.0.0.1");
}

}  // namespace
}  // namespace supportd::http

#include "common/url.hpp"

#include <gtest/gtest.h>

namespace supportd::common {
namespace {

TEST(Url, OriginsAreSchemeHostAndPortInLowerCase) {
  EXPECT_EQ(origin_of("https://News.Example:8443/x?y#z"), "https://news.example:8443");
  EXPECT_FALSE(origin_of("ftp://news.example/"));
  EXPECT_FALSE(origin_of("https://user@news.example/"));
  EXPECT_FALSE(origin_of("//news.example/"));
  // A name as long as DNS allows, and one character more.
  const std::string longest = std::string(249, 'a') + ".org";
  EXPECT_EQ(origin_of("https://" + longest + "/"), "https://" + longest);
  EXPECT_FALSE(origin_of("https://a" + longest + "/"));
}

TEST(Url, PlainHttpOnlyToThisMachine) {
  EXPECT_TRUE(plain_http_allowed("https://api.stripe.com"));
  EXPECT_TRUE(plain_http_allowed("http://127.0.0.1:12111"));
  EXPECT_TRUE(plain_http_allowed("http://127.3.4.5/"));
  EXPECT_TRUE(plain_http_allowed("http://[::1]:8080/hook"));
  EXPECT_TRUE(plain_http_allowed("http://LocalHost:9/"));
  EXPECT_FALSE(plain_http_allowed("http://mail.news.example/hook"));
  EXPECT_FALSE(plain_http_allowed("http://10.0.0.7/hook"));
  EXPECT_FALSE(plain_http_allowed("http://[2001:db8::1]/"));
  EXPECT_FALSE(plain_http_allowed("http://localhost.news.example/"));
}

TEST(Url, QueryValuesAreFoundByNameAndDecoded) {
  EXPECT_EQ(query_value("https://news.example/give?source=reminder&campaign=w%20x", "source"),
            "reminder");
  EXPECT_EQ(query_value("https://news.example/give?source=reminder&campaign=w%20x", "campaign"),
            "w x");
  EXPECT_EQ(query_value("https://news.example/give?a=1&a=2", "a"), "1");
  EXPECT_EQ(query_value("https://news.example/give?sources=reminder", "source"), std::nullopt);
  EXPECT_EQ(query_value("https://news.example/give", "source"), std::nullopt);
  EXPECT_EQ(query_value("", "source"), std::nullopt);
  EXPECT_EQ(query_value("not a url", "source"), std::nullopt);
}

TEST(Url, WithQuerySetsParametersKeepingTheRestOfTheUrl) {
  EXPECT_EQ(with_query("https://news.example/give?campaign=spring&ref=x#form",
                       {{"source", "reminder"}, {"campaign", "w x&y"}, {"component", ""}}),
            "https://news.example/give?campaign=w%20x%26y&ref=x&source=reminder#form");
  EXPECT_EQ(with_query("https://news.example/give", {{"amount_minor", "500"}}),
            "https://news.example/give?amount_minor=500");
  // Not a URL reference: given back as it is.
  EXPECT_EQ(with_query("https://news.example/%zz", {{"source", "reminder"}}),
            "https://news.example/%zz");
}

}  // namespace
}  // namespace supportd::common

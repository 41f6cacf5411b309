#include "http/field_checks.hpp"

#include <gtest/gtest.h>

#include <string>

namespace supportd::http {
namespace {

TEST(FieldChecks, TextIsValidUtf8WithoutControls) {
  EXPECT_TRUE(is_text(""));
  EXPECT_TRUE(is_text("plain ASCII, with spaces"));
  EXPECT_TRUE(is_text("Zo\xc3\xab \xe6\x9d\x8e \xf0\x9f\x98\x80"));  // ë, 李, an emoji
  EXPECT_TRUE(is_text("\xc2\xa0"));                                  // U+00A0: past C1
  EXPECT_TRUE(is_text("\xef\xbf\xbd"));                              // U+FFFD
  EXPECT_TRUE(is_text("\xf4\x8f\xbf\xbf"));                          // U+10FFFF
  // RFC 3629's table of ill-formed sequences.
  for (std::string bad : {
           std::string("\xff\xfe"),          // never in UTF-8
           std::string("\x80"),              // a lone continuation byte
           std::string("\xc0\xaf"),          // overlong '/'
           std::string("\xe0\x80\xaf"),      // overlong, three bytes
           std::string("\xed\xa0\x80"),      // a UTF-16 surrogate
           std::string("\xf4\x90\x80\x80"),  // past U+10FFFF
           std::string("\xe6\x9d"),          // cut short
           std::string("\xe9"),              // Latin-1 é
       }) {
    EXPECT_FALSE(is_text(bad)) << ::testing::PrintToString(bad);
  }
  for (std::string control : {std::string(1, '\0'), std::string("\t"), std::string("\n"),
                              std::string("\x1b"), std::string("\x7f"),
                              std::string("\xc2\x85"),  // U+0085, NEL (C1)
                              std::string("\xc2\x9f")}) {
    EXPECT_FALSE(is_text("a" + control + "b")) << ::testing::PrintToString(control);
  }
}

TEST(FieldChecks, TextFieldErrorNamesTheFieldNotTheValue) {
  EXPECT_FALSE(text_field_error("email", "reader@example.org"));
  auto e = text_field_error("email", "r\xff\xfe@example.org");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, "email");
  EXPECT_EQ(e->code, "invalid_text");
  EXPECT_EQ(e->message.find("example.org"), std::string::npos);
}

TEST(FieldChecks, PageUrlIsHttpOnAnAllowedOrigin) {
  const std::vector<std::string> allowed = {"https://news.example", "http://localhost:8080"};
  EXPECT_FALSE(page_url_error("page_url", "https://news.example/a?b#c", allowed));
  EXPECT_FALSE(page_url_error("page_url", "https://NEWS.example/", allowed));
  EXPECT_FALSE(page_url_error("page_url", "http://localhost:8080/x", allowed));
  for (auto url :
       {"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "//news.example/",
        "/relative", "https://user@news.example/", "ftp://news.example/"}) {
    auto e = page_url_error("page_url", url, allowed);
    ASSERT_TRUE(e) << url;
    EXPECT_EQ(e->code, "invalid_url") << url;
  }
  for (auto url : {"https://evil.example/", "https://news.example:444/", "http://news.example/",
                   "https://news.example.evil.example/", "http://localhost/"}) {
    auto e = page_url_error("page_url", url, allowed);
    ASSERT_TRUE(e) << url;
    EXPECT_EQ(e->code, "origin_not_allowed") << url;
  }
}

}  // namespace
}  // namespace supportd::http

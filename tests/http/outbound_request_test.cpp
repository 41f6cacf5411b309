#include <gtest/gtest.h>

#include "http/outbound_http.hpp"

namespace supportd::http {
namespace {

TEST(OutboundRequest, HeadAndBodyGoOutAsOneHttp11Message) {
  outbound_request r;
  r.method = "POST";
  r.target = "/hooks/reminders?x=1";
  r.headers = {{"Content-Type", "application/json"}, {"webhook-id", "rem_a_0"}};
  r.body = R"({"a":1})";
  EXPECT_EQ(request_text(r, "mail.news.example"),
            "POST /hooks/reminders?x=1 HTTP/1.1\r\n"
            "Host: mail.news.example\r\n"
            "User-Agent: supportd/" SUPPORTD_VERSION
            "\r\n"
            "Content-Type: application/json\r\n"
            "webhook-id: rem_a_0\r\n"
            "Content-Length: 7\r\n"
            "\r\n"
            R"({"a":1})");
}

TEST(OutboundRequest, AnEmptyBodyHasALengthOnlyWhereABodyIsExpected) {
  outbound_request r;
  r.method = "GET";
  r.target = "/v1/checkout/sessions/cs_1";
  EXPECT_EQ(request_text(r, "api.stripe.com").find("Content-Length"), std::string::npos);
  r.method = "POST";
  EXPECT_TRUE(request_text(r, "api.stripe.com").ends_with("\r\nContent-Length: 0\r\n\r\n"));
}

TEST(OutboundRequest, ALineBreakAnywhereRefusesTheRequest) {
  outbound_request r;
  r.method = "POST";
  r.target = "/hooks";
  r.headers = {{"webhook-id", "rem_a_0\r\nX-Injected: 1"}};
  EXPECT_EQ(request_text(r, "mail.news.example"), "");
  r.headers = {{"webhook-id\n", "rem_a_0"}};
  EXPECT_EQ(request_text(r, "mail.news.example"), "");
  r.headers = {};
  r.target = "/hooks HTTP/1.1\r\n\r\nGET /admin";
  EXPECT_EQ(request_text(r, "mail.news.example"), "");
}

}  // namespace
}  // namespace supportd::http

#include "support/sent_requests.hpp"

#include <gtest/gtest.h>

namespace supportd::test {
namespace {

std::string line_of(sent_requests& sent) {
  auto r = sent.next_answered();
  return r.method + " " + r.target;
}

TEST(SentRequests, PipelinedRequestsPairInOrderPastTheirBodies) {
  sent_requests sent;
  sent.add(
      "POST /v1/pledges HTTP/1.1\r\nHost: x\r\nContent-Length: 21\r\n\r\nGET /not-a-request/\r\n"
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(line_of(sent), "POST /v1/pledges");
  EXPECT_EQ(line_of(sent), "HEAD /healthz");
  EXPECT_EQ(line_of(sent), "GET /healthz?x=1");
  EXPECT_EQ(line_of(sent), " ");  // none left
}

TEST(SentRequests, BytesInPiecesAndChunkedBodiesWithTrailers) {
  sent_requests sent;
  const std::string bytes =
      "\r\nPOST /v1/reminders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n10\r\nGET / HTTP/1.1\r\n\r\n0\r\nX-Trailer: 1\r\n\r\n"
      "DELETE /v1/reminders/r_1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
  for (char c : bytes) {
    sent.add(std::string(1, c));
  }
  EXPECT_EQ(line_of(sent), "POST /v1/reminders");
  EXPECT_EQ(line_of(sent), "DELETE /v1/reminders/r_1");
  EXPECT_EQ(line_of(sent), " ");
}

TEST(SentRequests, ARequestLineCountsBeforeItsHeaderIsComplete) {
  sent_requests sent;
  sent.add("POST /healthz HTTP/1.1\r\nContent-Length: 5000\r\n");
  EXPECT_EQ(line_of(sent), "POST /healthz");
}

TEST(SentRequests, AnUnreadableChunkEndsTheReading) {
  sent_requests sent;
  sent.add("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(line_of(sent), "POST /a");
  EXPECT_EQ(line_of(sent), " ");
}

}  // namespace
}  // namespace supportd::test

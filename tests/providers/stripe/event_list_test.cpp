// GET /v1/events as supportd asks for it and reads it, without I/O.
#include "providers/stripe/event_list.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace supportd::providers::stripe {
namespace {

TEST(StripeEventList, TheTargetCarriesTheWindowTheTypesAndTheCursor) {
  const std::string_view types[] = {"invoice.paid", "charge.refunded"};
  providers::event_page_request first{1700000000, types, "", 100};
  EXPECT_EQ(event_list_target(first),
            "/v1/events?created[gte]=1700000000&limit=100&types[]=invoice.paid"
            "&types[]=charge.refunded");
  providers::event_page_request next{1700000000, {}, "evt_1Ab", 50};
  EXPECT_EQ(event_list_target(next),
            "/v1/events?created[gte]=1700000000&limit=50&starting_after=evt_1Ab");
}

TEST(StripeEventList, ReadsEachEventAndWhetherThereIsMore) {
  auto page = parse_event_list(R"({
    "object": "list", "url": "/v1/events", "has_more": true,
    "data": [
      {"id": "evt_2", "object": "event", "type": "invoice.paid", "created": 1700000100,
       "livemode": false, "data": {"object": {"id": "in_1", "amount_paid": 500}}},
      {"id": "evt_1", "object": "event", "type": "checkout.session.completed",
       "created": 1700000000, "data": {"object": {"id": "cs_1"}}}
    ]})");
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->has_more);
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].id, "evt_2");
  EXPECT_EQ(page->events[0].type, "invoice.paid");
  EXPECT_EQ(page->events[0].created, 1700000100);
  // The body is the event itself, for the processors to parse as they parse a webhook's.
  auto body = boost::json::parse(page->events[0].body);
  EXPECT_EQ(body.at("data").at("object").at("amount_paid"), 500);
  EXPECT_EQ(body.at("id"), "evt_2");

  auto empty = parse_event_list(R"({"object":"list","data":[],"has_more":false})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->events.empty());
  EXPECT_FALSE(empty->has_more);
}

TEST(StripeEventList, AnythingElseIsNotAPage) {
  for (auto body : {
           "",
           "[]",
           R"({"error":{"type":"api_error","message":"x"}})",
           R"({"object":"event","data":[],"has_more":false})",
           R"({"object":"list","data":{},"has_more":false})",
           R"({"object":"list","data":[]})",
           R"({"object":"list","data":[{"id":"evt_1","type":"invoice.paid"}],"has_more":false})",
           R"({"object":"list","data":[{"id":7,"type":"x","created":1}],"has_more":false})",
           R"({"object":"list","data":[1],"has_more":false})",
       }) {
    EXPECT_FALSE(parse_event_list(body)) << body;
  }
}

}  // namespace
}  // namespace supportd::providers::stripe

#include "http/router.hpp"

#include <gtest/gtest.h>

namespace supportd::http {
namespace {

struct no_context {};
no_context none;

awaitable<response> answer(const request&, no_context&) {
  co_return response{};
}
const handler a = bind_to(&answer, none);
const handler b = bind_to(&answer, none);

TEST(Router, MatchesMethodAndPath) {
  router r({{"GET", "/healthz", a}, {"POST", "/v1/pledges", b}, {"GET", "/v1/pledges/{id}", a}});
  EXPECT_EQ(r.match("GET", "/healthz").matched->pattern, "/healthz");
  auto post = r.match("POST", "/v1/pledges").matched;
  ASSERT_TRUE(post);
  EXPECT_EQ(post->method, "POST");
  EXPECT_EQ(post->pattern, "/v1/pledges");

  auto m = r.match("GET", "/v1/pledges/pl_123");
  ASSERT_TRUE(m.matched);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "pl_123");
}

TEST(Router, AMethodOfSeveralMatchingPatternsIsListedOnce) {
  router r({{"POST", "/v1/reminders/unsubscribe", a},
            {"GET", "/v1/reminders/unsubscribe", b},
            {"GET", "/v1/reminders/{id}", a},
            {"DELETE", "/v1/reminders/{id}", b}});
  EXPECT_EQ(r.match("PUT", "/v1/reminders/unsubscribe").allowed, "POST, GET, DELETE");
}

TEST(Router, WrongMethodListsTheAllowedOnes) {
  router r({{"GET", "/x", a}, {"DELETE", "/x", b}});
  auto m = r.match("POST", "/x");
  EXPECT_FALSE(m.matched);
  EXPECT_EQ(m.allowed, "GET, DELETE");
}

TEST(Router, UnknownPathsAndEmptySegmentsDoNotMatch) {
  router r({{"GET", "/v1/pledges/{id}", a}});
  EXPECT_FALSE(r.match("GET", "/v1/pledges/").matched);
  EXPECT_FALSE(r.match("GET", "/v1/pledges").matched);
  EXPECT_FALSE(r.match("GET", "/v1/pledges/a/b").matched);
  EXPECT_TRUE(r.match("GET", "/nope").allowed.empty());
}

}  // namespace
}  // namespace supportd::http

#include "http/problem.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace supportd::http {
namespace {

TEST(Problem, IsRfc9457Json) {
  problem p{422,
            "invalid_fields",
            "Unprocessable",
            "Quote \" and \\ and\nnewline",
            {{"fields", R"(["amount","email"])"}}};
  auto r = make_problem_response(p);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto json = boost::json::parse(r.body).as_object();
  EXPECT_EQ(json.at("type").as_string(), "https://supportd.dev/problems/invalid_fields");
  EXPECT_EQ(json.at("title").as_string(), "Unprocessable");
  EXPECT_EQ(json.at("status").as_int64(), 422);
  EXPECT_EQ(json.at("detail").as_string(), "Quote \" and \\ and\nnewline");
  EXPECT_EQ(json.at("code").as_string(), "invalid_fields");
  EXPECT_EQ(json.at("fields").as_array().size(), 2u);
}

TEST(Problem, LimitsCarryTheirLimit) {
  auto body = boost::json::parse(to_json(payload_too_large(65536))).as_object();
  EXPECT_EQ(body.at("status").as_int64(), 413);
  EXPECT_EQ(body.at("limit_bytes").as_int64(), 65536);
  EXPECT_EQ(headers_too_large(8192).status, 431);
}

}  // namespace
}  // namespace supportd::http

// A pledge's first answer as kept under its Idempotency-Key: capabilities sealed, replayed only
// to the same key, and answers saved by earlier versions still replayed.
#include "pledges/sealed_answer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace supportd::pledges {
namespace {

namespace json = boost::json;

const std::string manage_token = "mt_0123456789abcdefghijklmnopqrstuvwxyzABCD";
const std::string link =
    "https://support.test/v1/pledges/pl_golden/cancel?token=1900000000."
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

json::object answer() {
  return {{"id", "pl_golden"},
          {"status", "pending"},
          {"checkout_url", "https://checkout.test/pay/cs_pl_golden"},
          {"manage_token", manage_token},
          {"amount_minor", 500},
          {"currency", "USD"},
          {"interval", "month"},
          {"cancel_link", link}};
}

// answer() sealed under "order-77" by the version before this file existed: the format
// answers in Redis (kept 24 h) are in; this version must replay them.
constexpr std::string_view saved_before =
    R"({"id":"pl_golden","status":"pending","checkout_url":"https://checkout.test/pay/cs_pl_golden",)"
    R"("manage_token":"sealed:5ce890de271d4296b9969893a9a219c9dc9f83c80b3e8577a02c81adefa8c2a82542e7bf0c9e04d3",)"
    R"("amount_minor":500,"currency":"USD","interval":"month",)"
    R"("cancel_link":"sealed:8d3d75a8235754aff133dc5979641374ff4f423a4e0526a3f0e57539129272627903549c)"
    R"(56c52ddcec63e8de5c0cabd335d337e4e5aaf68e4bca108b4d635044552621d041c1dfb679c784cc4b80cc0cfdfb00c01c)"
    R"(35a7981b1e0f5891afb405cf956cc24c9a9ef5fe3cedfdf2"})";

TEST(SealedAnswer, TheSameKeyGetsTheAnswerBackAsItWasSent) {
  auto saved = seal_answer(answer(), "order-77");
  EXPECT_EQ(unseal_answer(saved, "order-77"), json::serialize(answer()));
}

TEST(SealedAnswer, TheFormatIsTheOneAnswersWereSavedInBefore) {
  EXPECT_EQ(seal_answer(answer(), "order-77"), saved_before);
  EXPECT_EQ(unseal_answer(saved_before, "order-77"), json::serialize(answer()));
}

TEST(SealedAnswer, WhatIsSavedHoldsNoCapability) {
  auto saved = seal_answer(answer(), "order-77");
  EXPECT_EQ(saved.find(manage_token.substr(3)), std::string::npos);
  EXPECT_EQ(saved.find("mt_"), std::string::npos);
  EXPECT_EQ(saved.find("1900000000"), std::string::npos);
  EXPECT_EQ(saved.find("support.test"), std::string::npos);
  // The rest of the answer is as sent.
  auto o = json::parse(saved).as_object();
  EXPECT_EQ(o.at("checkout_url").as_string(), "https://checkout.test/pay/cs_pl_golden");
  EXPECT_EQ(o.at("amount_minor").as_int64(), 500);
}

TEST(SealedAnswer, AnotherKeyUnsealsNoCapability) {
  auto saved = seal_answer(answer(), "order-77");
  auto other = unseal_answer(saved, "order-78");
  ASSERT_TRUE(other);  // it unseals, to noise
  EXPECT_EQ(other->find(manage_token.substr(3)), std::string::npos);
  EXPECT_EQ(other->find("1900000000"), std::string::npos);
}

TEST(SealedAnswer, EachMemberHasItsOwnKeyStream) {
  // The same text in both members seals differently: knowing one member's clear text (a cancel
  // link's prefix is public) tells nothing of the other's stream.
  auto a = answer();
  a["manage_token"] = "mt_same-text";
  a["cancel_link"] = "same-text";
  auto o = json::parse(seal_answer(a, "order-77")).as_object();
  EXPECT_NE(o.at("manage_token"), o.at("cancel_link"));
  // Nor is a stream shared between pledges.
  auto b = a;
  b["id"] = "pl_other";
  auto p = json::parse(seal_answer(b, "order-77")).as_object();
  EXPECT_NE(o.at("manage_token"), p.at("manage_token"));
}

TEST(SealedAnswer, AnAnswerSavedBeforeCancelLinksWereSealedStillReplays) {
  auto o = json::parse(saved_before).as_object();
  o["cancel_link"] = link;  // in clear, as older versions saved it
  auto replayed = unseal_answer(json::serialize(o), "order-77");
  EXPECT_EQ(replayed, json::serialize(answer()));
  // Without a cancel link at all, too.
  o.erase("cancel_link");
  auto without = answer();
  without.erase("cancel_link");
  EXPECT_EQ(unseal_answer(json::serialize(o), "order-77"), json::serialize(without));
}

TEST(SealedAnswer, WhatDoesNotUnsealIsRefused) {
  auto sealed = json::parse(saved_before).as_object();
  auto with = [&](std::string_view member, json::value v) {
    auto o = sealed;
    o[member] = std::move(v);
    return json::serialize(o);
  };
  auto without = [&](std::string_view member) {
    auto o = sealed;
    o.erase(member);
    return json::serialize(o);
  };
  for (const auto& saved : {
           std::string("not json"),
           std::string("[1]"),
           without("id"),
           with("id", 7),
           without("manage_token"),
           with("manage_token", manage_token.c_str()),  // a manage token is never saved in clear
           with("manage_token", "sealed:zz"),
           with("manage_token", 7),
           with("cancel_link", "sealed:not-hex"),
           with("cancel_link", nullptr),
       }) {
    EXPECT_FALSE(unseal_answer(saved, "order-77")) << saved;
  }
}

}  // namespace
}  // namespace supportd::pledges

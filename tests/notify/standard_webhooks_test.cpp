#include "notify/standard_webhooks.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace supportd::notify {
namespace {

// The Standard Webhooks spec's test vector (BRIEF.md).
const std::string vector_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string vector_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::int64_t vector_timestamp = 1614265330;
const std::string vector_body = R"({"test": 2432232314})";
const std::string vector_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const std::string other_secret = "whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

std::string must_decode(const std::string& whsec) {
  auto key = decode_webhook_secret(whsec);
  if (!key) {
    throw std::runtime_error("refused secret " + whsec);
  }
  return *key;
}

TEST(StandardWebhooks, SpecVector) {
  const std::vector<std::string> keys = {must_decode(vector_secret)};
  EXPECT_EQ(keys[0].size(), 24u);
  EXPECT_EQ(signature_header(vector_id, vector_timestamp, vector_body, keys), vector_signature);
  EXPECT_TRUE(verify_signature(vector_signature, vector_id, vector_timestamp, vector_body, keys));
}

TEST(StandardWebhooks, TwoKeysGiveTwoSignaturesAndEitherVerifies) {
  const std::vector<std::string> both = {must_decode(vector_secret), must_decode(other_secret)};
  auto header = signature_header(vector_id, vector_timestamp, vector_body, both);
  auto space = header.find(' ');
  ASSERT_NE(space, std::string::npos);
  EXPECT_EQ(header.substr(0, space), vector_signature);
  EXPECT_TRUE(header.substr(space + 1).starts_with("v1,"));
  EXPECT_EQ(header.size(), 2 * vector_signature.size() + 1);

  const std::vector<std::string> old_only = {both[0]};
  const std::vector<std::string> new_only = {both[1]};
  EXPECT_TRUE(verify_signature(header, vector_id, vector_timestamp, vector_body, old_only));
  EXPECT_TRUE(verify_signature(header, vector_id, vector_timestamp, vector_body, new_only));
  // A receiver that knows only the new secret refuses the old signature alone.
  EXPECT_FALSE(
      verify_signature(vector_signature, vector_id, vector_timestamp, vector_body, new_only));
  EXPECT_EQ(signature_header(vector_id, vector_timestamp, vector_body, {}), "");
}

TEST(StandardWebhooks, RefusesTampering) {
  const std::vector<std::string> keys = {must_decode(vector_secret)};
  auto verify = [&](std::string_view header, std::string_view id, std::int64_t timestamp,
                    std::string_view body) {
    return verify_signature(header, id, timestamp, body, keys);
  };
  EXPECT_FALSE(verify(vector_signature, vector_id, vector_timestamp, R"({"test": 2432232315})"));
  EXPECT_FALSE(verify(vector_signature, vector_id, vector_timestamp, vector_body + " "));
  EXPECT_FALSE(
      verify(vector_signature, "msg_p5jXN8AQM9LWM0D4loKWxJeK", vector_timestamp, vector_body));
  EXPECT_FALSE(verify(vector_signature, vector_id, vector_timestamp + 1, vector_body));
  auto altered = vector_signature;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify(altered, vector_id, vector_timestamp, vector_body));
  auto v2 = vector_signature;
  v2[1] = '2';
  EXPECT_FALSE(verify(v2, vector_id, vector_timestamp, vector_body));  // another version, not v1
  EXPECT_FALSE(verify("", vector_id, vector_timestamp, vector_body));
  EXPECT_FALSE(verify("v1,", vector_id, vector_timestamp, vector_body));
  EXPECT_FALSE(verify_signature(vector_signature, vector_id, vector_timestamp, vector_body, {}));
  // Entries of unknown versions are skipped, not fatal.
  EXPECT_TRUE(verify("v1a,xyz " + vector_signature, vector_id, vector_timestamp, vector_body));
}

TEST(StandardWebhooks, RefusesBadSecrets) {
  EXPECT_EQ(decode_webhook_secret("whsec_+/8="), std::string("\xfb\xff"));
  const std::string bad[] = {
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",         // no prefix
      "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",   // wrong prefix
      "whsec_",                                   // empty key
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",    // cut short
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=",  // stray padding
      "whsec_-_8=",                               // URL alphabet
      "whsec_MfKQ9r8GKYqrTwjU!D8ILPZIo2LaLaSw",   // not base64
      " whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  // leading space
  };
  for (const auto& secret : bad) {
    EXPECT_EQ(decode_webhook_secret(secret), std::nullopt) << secret;
  }
}

TEST(StandardWebhooks, SecretFile) {
  auto parsed = parse_secret_file("\n" + vector_secret + "\r\n\n  " + other_secret + "\n");
  auto* keys = std::get_if<std::vector<std::string>>(&parsed);
  ASSERT_NE(keys, nullptr) << std::get<std::string>(parsed);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0], must_decode(vector_secret));
  EXPECT_EQ((*keys)[1], must_decode(other_secret));

  auto bad = parse_secret_file(vector_secret + "\n\nwhsec_MfKQ9r8GKYqrTwjU!D8ILPZIo2LaLaSw\n");
  auto* error = std::get_if<std::string>(&bad);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->find("line 3"), std::string::npos) << *error;
  EXPECT_EQ(error->find("MfKQ"), std::string::npos) << *error;
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_secret_file("\n\n")));
}

}  // namespace
}  // namespace supportd::notify

#include "webhooks/stripe_signature.hpp"

#include <gtest/gtest.h>

namespace supportd::webhooks {
namespace {

const std::string body = R"({"id":"evt_test_webhook","object":"event"})";
const std::vector<std::string> secrets = {"whsec_test_secret"};

TEST(StripeSignature, BriefVector) {
  // Made with the official stripe-node library (BRIEF.md).
  const std::string header =
      "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
  EXPECT_EQ(sign_stripe_payload(body, "whsec_test_secret", 1700000000), header);
  EXPECT_EQ(verify_stripe_signature(header, body, secrets, 1700000000, 300),
            signature_verdict::valid);
}

TEST(StripeSignature, RefusesTamperingStalenessAndWrongSecrets) {
  auto header = sign_stripe_payload(body, "whsec_test_secret", 1700000000);
  EXPECT_EQ(verify_stripe_signature(header, body + " ", secrets, 1700000000, 300),
            signature_verdict::mismatch);
  EXPECT_EQ(verify_stripe_signature(header, body, secrets, 1700000301, 300),
            signature_verdict::stale);
  EXPECT_EQ(verify_stripe_signature(header, body, secrets, 1699999699, 300),
            signature_verdict::stale);
  EXPECT_EQ(verify_stripe_signature(header, body, secrets, 1700000300, 300),
            signature_verdict::valid);
  const std::vector<std::string> other = {"whsec_other"};
  EXPECT_EQ(verify_stripe_signature(header, body, other, 1700000000, 300),
            signature_verdict::mismatch);
  EXPECT_EQ(verify_stripe_signature("", body, secrets, 1700000000, 300),
            signature_verdict::missing_header);
  EXPECT_EQ(verify_stripe_signature("t=1700000000", body, secrets, 1700000000, 300),
            signature_verdict::malformed);
  EXPECT_EQ(verify_stripe_signature("v1=abc", body, secrets, 1700000000, 300),
            signature_verdict::malformed);
}

TEST(StripeSignature, OnlyV1CountsAndAnyMatchingV1Will) {
  auto good = sign_stripe_payload(body, "whsec_test_secret", 1700000000);
  auto mac = good.substr(good.find("v1=") + 3);
  EXPECT_EQ(verify_stripe_signature("t=1700000000,v0=" + mac, body, secrets, 1700000000, 300),
            signature_verdict::malformed);
  EXPECT_EQ(
      verify_stripe_signature("t=1700000000,v1=" + std::string(64, '0') + ",v1=" + mac + ",v0=zz",
                              body, secrets, 1700000000, 300),
      signature_verdict::valid);
}

TEST(StripeSignature, RotatedSecretsBothVerify) {
  const std::vector<std::string> rotating = {"whsec_new", "whsec_test_secret"};
  auto old_signed = sign_stripe_payload(body, "whsec_test_secret", 1700000000);
  auto new_signed = sign_stripe_payload(body, "whsec_new", 1700000000);
  EXPECT_EQ(verify_stripe_signature(old_signed, body, rotating, 1700000000, 300),
            signature_verdict::valid);
  EXPECT_EQ(verify_stripe_signature(new_signed, body, rotating, 1700000000, 300),
            signature_verdict::valid);
}

}  // namespace
}  // namespace supportd::webhooks

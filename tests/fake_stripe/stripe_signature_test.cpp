#include "stripe_signature.hpp"

#include <gtest/gtest.h>

namespace fake_stripe {
namespace {

// The vector in BRIEF.md, made with the official stripe-node library.
TEST(StripeSignature, MatchesTheOfficialLibrarysVector) {
  EXPECT_EQ(stripe_signature_header("whsec_test_secret", 1700000000,
                                    R"({"id":"evt_test_webhook","object":"event"})"),
            "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990");
}

// RFC 4231 test case 2.
TEST(StripeSignature, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(StripeSignature, KeysWithTheSecretStringAsItIs) {
  // Not base64-decoded: whsec_ is part of the key.
  EXPECT_EQ(stripe_signature_header("whsec_test_secret", 1, "{}"),
            "t=1,v1=" + hmac_sha256_hex("whsec_test_secret", "1.{}"));
  EXPECT_NE(stripe_signature_header("whsec_test_secret", 1, "{}"),
            stripe_signature_header("test_secret", 1, "{}"));
}

}  // namespace
}  // namespace fake_stripe

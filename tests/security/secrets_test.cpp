#include "security/secrets.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace supportd::security {
namespace {

TEST(Secrets, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Secrets, Hashes) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 1, and test case 6: a key longer than SHA-256's block is hashed first.
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // An empty key is a key of its own, not the one used before it on this thread (OpenSSL's
  // EVP_MAC_init takes a null key for "the previous one"). Python's hmac module agrees.
  EXPECT_EQ(to_hex(hmac_sha256("", "what do ya want for nothing?")),
            "76d9e7194e7dbc3aa00bbe8ffb9f6fcb5a932170f971f948bb2ab61607d2b9d6");
  EXPECT_EQ(to_hex(hmac_sha256(std::string_view(), "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// Drawn from a pool in blocks: no bytes are ever handed out twice, across refills too, and a
// draw bigger than the pool's share goes straight to OpenSSL.
TEST(Secrets, RandomBytesNeverRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {  // 2000 × 12 bytes: several 4 KiB blocks
    std::string nonce(12, '\0');
    random_bytes({reinterpret_cast<unsigned char*>(nonce.data()), nonce.size()});
    EXPECT_TRUE(seen.insert(nonce).second) << "repeated at draw " << i;
  }
  std::string big(5000, '\0');
  random_bytes({reinterpret_cast<unsigned char*>(big.data()), big.size()});
  EXPECT_NE(big.find_first_not_of('\0'), std::string::npos);
  EXPECT_NE(random_token(16), random_token(16));
}

TEST(Secrets, HexRoundTripRefusesWhatIsNotHex) {
  const std::string bytes("\x00\x7f\x80\xff ok", 7);
  EXPECT_EQ(to_hex(bytes), "007f80ff206f6b");
  EXPECT_EQ(from_hex(to_hex(bytes)), bytes);
  EXPECT_EQ(from_hex("ABcd"), std::string("\xab\xcd"));
  for (auto bad : {"0", "0g", "zz", "+1", " 1", "1-"}) {
    EXPECT_EQ(from_hex(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(from_hex(""), std::string());
}

TEST(Secrets, Base64UrlRoundTrip) {
  const std::string texts[] = {"",     "f",     "fo",     "foo",
                               "foob", "fooba", "foobar", std::string("\xff\xfe\x00", 3)};
  for (const auto& text : texts) {
    EXPECT_EQ(from_base64url(base64url(text)), text);
  }
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
  EXPECT_FALSE(from_base64url("a+b/"));
  EXPECT_EQ(random_token(24).size(), 32u);
  EXPECT_NE(random_token(24), random_token(24));
}

TEST(Secrets, SignedLinksExpireAndBindPurposeAndSubject) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  auto token = sign_link(key, "cancel-pledge", "pl_1", 2000);
  EXPECT_TRUE(verify_link(key, "cancel-pledge", "pl_1", token, 1999));
  EXPECT_TRUE(verify_link(key, "cancel-pledge", "pl_1", token, 2000));
  EXPECT_FALSE(verify_link(key, "cancel-pledge", "pl_1", token, 2001));  // expired
  EXPECT_FALSE(verify_link(key, "cancel-pledge", "pl_2", token, 1000));  // another pledge
  EXPECT_FALSE(verify_link(key, "unsubscribe", "pl_1", token, 1000));    // another purpose
  EXPECT_FALSE(
      verify_link("another key 0123456789abcdef01234", "cancel-pledge", "pl_1", token, 1000));
  auto later = token;
  later.replace(0, 4, "9999");  // extending the expiry breaks the signature
  EXPECT_FALSE(verify_link(key, "cancel-pledge", "pl_1", later, 1000));
  EXPECT_FALSE(verify_link(key, "cancel-pledge", "pl_1", "garbage", 1000));
}

TEST(Secrets, ConstantTimeEqualComparesWholeValuesOfAnyLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("0123456789abcdef-secret", "0123456789abcdef-secret"));
  EXPECT_FALSE(constant_time_equal("0123456789abcdef-secret", "0123456789abcdef-secreT"));
  // A prefix, a longer guess, and embedded NULs: all wrong, none by a length shortcut.
  EXPECT_FALSE(constant_time_equal("0123456789abcdef-secret", "0123456789abcdef"));
  EXPECT_FALSE(constant_time_equal("0123456789abcdef-secret", "0123456789abcdef-secret!"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  EXPECT_FALSE(constant_time_equal("", "x"));
}

}  // namespace
}  // namespace supportd::security

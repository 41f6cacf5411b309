// The one-click cancel link in a new pledge's answer.
#include "pledges/cancel_links.hpp"

#include <gtest/gtest.h>

namespace supportd::pledges {
namespace {

constexpr std::int64_t now = 1'800'000'000;
constexpr std::int64_t ninety_days = 90 * 24 * 3600;

const cancel_links links("0123456789abcdef0123456789abcdef-links", "https://support.test");

std::string token_of(const std::string& link) {
  return link.substr(link.find("?token=") + 7);
}

TEST(CancelLinks, ALinkOpensItsPledgesCancelPageForNinetyDays) {
  auto link = links.link_for("pl_abc", now);
  EXPECT_TRUE(link.starts_with("https://support.test/v1/pledges/pl_abc/cancel?token=")) << link;
  auto token = token_of(link);
  EXPECT_TRUE(token.starts_with(std::to_string(now + ninety_days) + "."));
  EXPECT_TRUE(links.valid("pl_abc", token, now));
  EXPECT_TRUE(links.valid("pl_abc", token, now + ninety_days));
  EXPECT_FALSE(links.valid("pl_abc", token, now + ninety_days + 1));
}

TEST(CancelLinks, ATokenIsForOnePledgeAndOneSecret) {
  auto token = token_of(links.link_for("pl_abc", now));
  EXPECT_FALSE(links.valid("pl_abd", token, now));
  const cancel_links rotated("another secret, 32 bytes or more!!", "https://support.test");
  EXPECT_FALSE(rotated.valid("pl_abc", token, now));
  EXPECT_FALSE(links.valid("pl_abc", "", now));
  EXPECT_FALSE(links.valid("pl_abc", "garbage", now));
}

TEST(CancelLinks, WithoutASecretOrAPublicUrlThereAreNone) {
  EXPECT_EQ(cancel_links("", "https://support.test").link_for("pl_abc", now), "");
  EXPECT_EQ(cancel_links("0123456789abcdef0123456789abcdef", "").link_for("pl_abc", now), "");
  // And nothing passes for one without a secret.
  EXPECT_FALSE(cancel_links("", "https://support.test").valid("pl_abc", "1900000000.x", now));
}

}  // namespace
}  // namespace supportd::pledges

// The signed links and the restart link a pledge's messages carry.
#include "pledges/pledge_links.hpp"

#include <gtest/gtest.h>

#include "common/url.hpp"
#include "pledges/cancel_links.hpp"

namespace supportd::pledges {
namespace {

constexpr std::int64_t now = 1'800'000'000;
constexpr std::int64_t day = 24 * 3600;
constexpr std::string_view secret = "0123456789abcdef0123456789abcdef-links";

const pledge_links links(std::string(secret), "https://support.test/", "https://news.test/give");

std::string token_of(const std::string& link) {
  return common::query_value(link, "token").value_or("");
}

TEST(PledgeLinks, TheManageLinkOpensItsPledgesPageForTwoYears) {
  auto link = links.manage_url("pl_abc", now);
  EXPECT_TRUE(link.starts_with("https://support.test/v1/pledges/pl_abc/manage?token=")) << link;
  auto token = token_of(link);
  EXPECT_TRUE(links.manage_token_valid("pl_abc", token, now + 730 * day));
  EXPECT_FALSE(links.manage_token_valid("pl_abc", token, now + 730 * day + 1));
  EXPECT_FALSE(links.manage_token_valid("pl_abd", token, now));
}

TEST(PledgeLinks, TheCardUpdateLinkPostsToThePaymentMethodForSixtyDays) {
  auto link = links.update_payment_url("pl_abc", now);
  EXPECT_TRUE(link.starts_with("https://support.test/v1/pledges/pl_abc/payment-method?token="))
      << link;
  auto token = token_of(link);
  EXPECT_TRUE(links.update_payment_token_valid("pl_abc", token, now + 60 * day));
  EXPECT_FALSE(links.update_payment_token_valid("pl_abc", token, now + 60 * day + 1));
}

TEST(PledgeLinks, NoTokenOpensAnotherLinksDoor) {
  const auto manage = token_of(links.manage_url("pl_abc", now));
  const auto update = token_of(links.update_payment_url("pl_abc", now));
  const cancel_links cancel{std::string(secret), "https://support.test"};
  const auto cancel_token = token_of(cancel.link_for("pl_abc", now));
  EXPECT_FALSE(links.manage_token_valid("pl_abc", update, now));
  EXPECT_FALSE(links.manage_token_valid("pl_abc", cancel_token, now));
  EXPECT_FALSE(links.update_payment_token_valid("pl_abc", manage, now));
  EXPECT_FALSE(links.update_payment_token_valid("pl_abc", cancel_token, now));
  EXPECT_FALSE(cancel.valid("pl_abc", manage, now));
}

TEST(PledgeLinks, RotatingTheSecretRevokesEveryLink) {
  const pledge_links rotated("another secret, 32 bytes or more!!", "https://support.test", "");
  EXPECT_FALSE(
      rotated.manage_token_valid("pl_abc", token_of(links.manage_url("pl_abc", now)), now));
  EXPECT_FALSE(rotated.update_payment_token_valid(
      "pl_abc", token_of(links.update_payment_url("pl_abc", now)), now));
}

TEST(PledgeLinks, WithoutASecretOrAPublicUrlThereAreNoSignedLinks) {
  const pledge_links no_secret("", "https://support.test", "https://news.test/give");
  const pledge_links no_url(std::string(secret), "", "https://news.test/give");
  EXPECT_EQ(no_secret.manage_url("pl_abc", now), "");
  EXPECT_EQ(no_url.update_payment_url("pl_abc", now), "");
  EXPECT_FALSE(no_secret.manage_token_valid("pl_abc", "1900000000.x", now));
}

TEST(PledgeLinks, TheRestartLinkPrefillsTheDonatePage) {
  EXPECT_EQ(links.restart_url(1500, "EUR", interval::month, "spring"),
            "https://news.test/give?source=pledge_restart&amount_minor=1500&currency=EUR"
            "&interval=month&campaign=spring");
  // The page's own query and fragment stay; what it says of these names is replaced.
  const pledge_links own("", "", "https://news.test/give?lang=fr&interval=once#form");
  EXPECT_EQ(own.restart_url(5000, "GBP", interval::year, ""),
            "https://news.test/give?lang=fr&interval=year&source=pledge_restart"
            "&amount_minor=5000&currency=GBP#form");
  EXPECT_EQ(pledge_links(std::string(secret), "https://support.test", "")
                .restart_url(1500, "EUR", interval::month, "spring"),
            "");
}

}  // namespace
}  // namespace supportd::pledges

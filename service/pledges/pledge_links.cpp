#include "pledges/pledge_links.hpp"

#include <chrono>

#include "common/url.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

// Each link's own purpose: a token signed for one does not open the other.
constexpr std::string_view manage_purpose = "manage-pledge";
constexpr std::string_view update_payment_purpose = "update-payment-method";

constexpr std::int64_t manage_lifetime_s = std::chrono::seconds(std::chrono::days(730)).count();
constexpr std::int64_t update_payment_lifetime_s =
    std::chrono::seconds(std::chrono::days(60)).count();

}  // namespace

pledge_links::pledge_links(std::string secret, std::string public_url, std::string give_url)
    : secret_(std::move(secret)),
      public_url_(std::move(public_url)),
      give_url_(std::move(give_url)) {}

std::string pledge_links::signed_link(std::string_view purpose, std::string_view action,
                                      std::string_view pledge_id, std::int64_t expires_unix) const {
  if (secret_.empty() || public_url_.empty()) {
    return {};
  }
  const auto token = security::sign_link(secret_, purpose, pledge_id, expires_unix);
  std::string path = "/v1/pledges/";
  path += pledge_id;
  path += '/';
  path += action;
  return common::service_link(public_url_, path, {{"token", token}});
}

std::string pledge_links::manage_url(std::string_view pledge_id, std::int64_t now_unix) const {
  return signed_link(manage_purpose, "manage", pledge_id, now_unix + manage_lifetime_s);
}

bool pledge_links::manage_token_valid(std::string_view pledge_id, std::string_view token,
                                      std::int64_t now_unix) const {
  return security::verify_link(secret_, manage_purpose, pledge_id, token, now_unix);
}

std::string pledge_links::update_payment_url(std::string_view pledge_id,
                                             std::int64_t now_unix) const {
  return signed_link(update_payment_purpose, "payment-method", pledge_id,
                     now_unix + update_payment_lifetime_s);
}

bool pledge_links::update_payment_token_valid(std::string_view pledge_id, std::string_view token,
                                              std::int64_t now_unix) const {
  return security::verify_link(secret_, update_payment_purpose, pledge_id, token, now_unix);
}

std::string pledge_links::restart_url(std::int64_t amount_minor, std::string_view currency,
                                      interval every, std::string_view campaign) const {
  if (give_url_.empty()) {
    return {};
  }
  // Through the parser (common::with_query): the give URL may have a query and a fragment of its
  // own, and a canceled pledge is rare enough that its link need not be put together as text.
  const auto amount = std::to_string(amount_minor);
  return common::with_query(give_url_, {{"source", "pledge_restart"},
                                        {"amount_minor", amount},
                                        {"currency", currency},
                                        {"interval", to_string(every)},
                                        {"campaign", campaign}});
}

}  // namespace supportd::pledges

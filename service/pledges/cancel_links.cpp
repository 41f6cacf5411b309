#include "pledges/cancel_links.hpp"

#include <chrono>

#include "common/url.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

constexpr std::string_view purpose = "cancel-pledge";
constexpr auto lifetime = std::chrono::hours(24 * 90);

}  // namespace

std::string cancel_links::link_for(std::string_view pledge_id, std::int64_t now_unix) const {
  if (secret_.empty() || public_url_.empty()) {
    return {};
  }
  const auto expires =
      now_unix + std::chrono::duration_cast<std::chrono::seconds>(lifetime).count();
  const auto token = security::sign_link(secret_, purpose, pledge_id, expires);
  const auto path = "/v1/pledges/" + std::string(pledge_id) + "/cancel";
  return common::service_link(public_url_, path, {{"token", token}});
}

bool cancel_links::valid(std::string_view pledge_id, std::string_view token,
                         std::int64_t now_unix) const {
  return security::verify_link(secret_, purpose, pledge_id, token, now_unix);
}

}  // namespace supportd::pledges

// The links a pledge's messages to the reader carry (pledge_message.hpp):
//
//   manage_url          <public url>/v1/pledges/<id>/manage?token=<expiry>.<signature>
//   update_payment_url  <public url>/v1/pledges/<id>/payment-method?token=<expiry>.<signature>
//   restart_url         <give url>?source=pledge_restart&amount_minor=…&currency=…&interval=…
//
// The two signed ones are security::sign_link tokens with a purpose of their own and the pledge
// id as subject, so neither passes for the other nor for the cancel link (cancel_links.hpp); all
// are revoked at once by rotating --link-secret-file. Neither page changes anything on a GET:
// a mail scanner that follows them does no harm.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pledges/pledge.hpp"

namespace supportd::pledges {

// Immutable after construction: safe to share between threads.
class pledge_links {
 public:
  // `secret` signs the tokens (--link-secret-file), `public_url` is where readers reach supportd
  // (--public-url): without either there are no signed links. `give_url` is the site's donate
  // page (--give-url): without it there is no restart link.
  pledge_links(std::string secret, std::string public_url, std::string give_url);

  // The manage page's link, valid for two years from `now_unix`: longer than the gap between two
  // messages of a yearly pledge (every message carries a fresh one), so the link in the
  // reader's latest email always opens. Empty when signed links are off.
  std::string manage_url(std::string_view pledge_id, std::int64_t now_unix) const;
  bool manage_token_valid(std::string_view pledge_id, std::string_view token,
                          std::int64_t now_unix) const;

  // The one-click card update of a failed renewal, valid for 60 days: longer than Stripe's
  // retries of a failed invoice last (Smart Retries end within two months at most), so the link
  // works as long as paying can still save the pledge. Empty when signed links are off.
  std::string update_payment_url(std::string_view pledge_id, std::int64_t now_unix) const;
  bool update_payment_token_valid(std::string_view pledge_id, std::string_view token,
                                  std::int64_t now_unix) const;

  // The donate page with the ended pledge's amount, currency, interval and campaign prefilled.
  // Empty without a give URL.
  std::string restart_url(std::int64_t amount_minor, std::string_view currency, interval every,
                          std::string_view campaign) const;

 private:
  std::string signed_link(std::string_view purpose, std::string_view action,
                          std::string_view pledge_id, std::int64_t expires_unix) const;

  std::string secret_;
  std::string public_url_;
  std::string give_url_;
};

}  // namespace supportd::pledges

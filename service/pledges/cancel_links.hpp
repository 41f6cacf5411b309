// The one-click cancel link a new pledge's answer carries:
//
//   <public url>/v1/pledges/<id>/cancel?token=<expiry>.<signature>
//
// Whoever holds it may cancel that one pledge, without a login, for 90 days; the token is
// security::sign_link's, for the purpose "cancel-pledge" and the pledge id as subject. The link
// opens a page with a button (pledge_routes.hpp, cancel_page), so a mail scanner following it
// cancels nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace supportd::pledges {

// Immutable after construction: safe to share between threads.
class cancel_links {
 public:
  // `secret` signs the tokens (--link-secret-file); `public_url` is where readers reach
  // supportd (--public-url). Without either, no links are made.
  cancel_links(std::string secret, std::string public_url)
      : secret_(std::move(secret)), public_url_(std::move(public_url)) {}

  // The link for `pledge_id`, valid for 90 days from `now_unix`; empty when links are off.
  std::string link_for(std::string_view pledge_id, std::int64_t now_unix) const;

  // Whether `token` is a link token for `pledge_id` that has not expired at `now_unix`.
  bool valid(std::string_view pledge_id, std::string_view token, std::int64_t now_unix) const;

 private:
  std::string secret_;
  std::string public_url_;
};

}  // namespace supportd::pledges

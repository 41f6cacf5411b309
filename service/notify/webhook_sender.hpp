// Delivers reminders to the site's email service as Standard Webhooks: a signed POST per
// reminder (one signature per active secret), over a keep-alive connection pool.
//
// Not thread-safe: one per worker thread, used on that thread's io_context.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/outbound_http.hpp"
#include "notify/event_sender.hpp"

namespace supportd::notify {

// Where deliveries go: "https://mail.news.example/hooks/reminders" split into the server and
// the request target.
struct endpoint {
  http::base_url server;
  std::string target;

  static std::optional<endpoint> parse(std::string_view url);
};

class webhook_sender final : public notify::event_sender {
 public:
  // `keys` are decoded whsec_ secrets (standard_webhooks.hpp), each adding a signature.
  // `concurrency`: deliveries in flight at once, each on its own kept-alive connection.
  webhook_sender(net::io_context& io, endpoint where, std::vector<std::string> keys,
                 std::shared_ptr<net::ssl::context> tls, std::chrono::milliseconds timeout,
                 std::size_t concurrency);

  awaitable<notify::delivery_outcome> send(const notify::delivery& d) override;

 private:
  std::string target_;
  std::vector<std::string> keys_;
  http::outbound_http http_;
};

}  // namespace supportd::notify

// fake-stripe's network side: the HTTP(S) server in front of fake_stripe_api, and the webhook
// sender that POSTs signed events to the endpoint under test. Runs on one io_context thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "fake_stripe_api.hpp"

namespace fake_stripe {

namespace net = boost::asio;
template <class T>
using awaitable = net::awaitable<T>;

struct webhook_settings {
  std::string url;                     // http:// or https://
  std::string secret;                  // whsec_…
  std::optional<std::string> ca_file;  // verify an https endpoint against it; none: no check
  int attempts = 5;                    // in all, the first included
  std::chrono::milliseconds first_backoff{500};  // doubled after each failed retry
  std::chrono::milliseconds timeout{10'000};     // of one attempt
};

// Delivers events like Stripe: signed with `Stripe-Signature`, retried after a failure (an
// answer other than 2xx, or none) with a growing pause. Each attempt is noted with
// fake_stripe_api::record_delivery.
class webhook_sender {
 public:
  // Throws std::invalid_argument on a URL that is not http(s).
  webhook_sender(net::any_io_executor executor, webhook_settings settings, fake_stripe_api& api);

  // Makes the first attempt and returns the endpoint's status (none: no answer). A failed
  // event is then retried in the background.
  awaitable<std::optional<int>> deliver(outgoing_event event);

  // Delivers, attempts and retries included, without the caller waiting.
  void deliver_in_background(outgoing_event event);

 private:
  struct attempt_result {
    std::optional<int> status;
    std::string error;
  };
  awaitable<attempt_result> attempt(const outgoing_event& event);
  awaitable<void> retry(outgoing_event event, int first_attempt);

  net::any_io_executor executor_;
  webhook_settings settings_;
  fake_stripe_api& api_;
  bool https_ = false;
  std::string host_;
  std::string port_;
  std::string target_;
  std::string host_header_;
  std::shared_ptr<net::ssl::context> tls_;
};

// Accepts connections until the acceptor is closed; serves each with `api` (over TLS when
// `tls` is set). `webhooks` may be null: then events are made but not sent.
awaitable<void> serve(net::ip::tcp::acceptor& acceptor, std::shared_ptr<net::ssl::context> tls,
                      fake_stripe_api& api, webhook_sender* webhooks);

}  // namespace fake_stripe

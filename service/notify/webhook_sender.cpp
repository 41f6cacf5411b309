#include "notify/webhook_sender.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>

#include "core/trace_context.hpp"
#include "notify/standard_webhooks.hpp"

namespace supportd::notify {
namespace {

using notify::delivery_outcome;

// Retry-After as delta-seconds; an HTTP-date is rare from webhook receivers and is ignored
// (the retry schedule applies).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

std::optional<endpoint> endpoint::parse(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->has_fragment()) {
    return std::nullopt;
  }
  // http::base_url wants the origin alone: the URL without its path and query.
  boost::urls::url origin(*parsed);
  origin.remove_query().set_encoded_path("");
  auto server = http::base_url::parse(origin.buffer());
  if (!server) {
    return std::nullopt;
  }
  std::string target(parsed->encoded_resource());
  if (target.empty()) {
    target.push_back('/');
  }
  return endpoint{*server, std::move(target)};
}

webhook_sender::webhook_sender(net::io_context& io, endpoint where, std::vector<std::string> keys,
                               std::shared_ptr<net::ssl::context> tls,
                               std::chrono::milliseconds timeout, std::size_t concurrency)
    : target_(std::move(where.target)),
      keys_(std::move(keys)),
      http_(io, std::move(where.server), std::move(tls), timeout, concurrency) {}

awaitable<delivery_outcome> webhook_sender::send(const notify::delivery& d) {
  http::outbound_request request;
  request.method = "POST";
  request.target = target_;
  request.headers = {
      {"Content-Type", "application/json"},
      {"webhook-id", d.webhook_id},
      {"webhook-timestamp", std::to_string(d.timestamp)},
      {"webhook-signature", signature_header(d.webhook_id, d.timestamp, d.body, keys_)},
      // A delivery starts a trace of its own (W3C Trace Context): the email service can log it.
      {"traceparent", trace_context::start().child_traceparent()},
  };
  request.body = d.body;
  auto response = co_await http_.send(request);
  delivery_outcome outcome;
  if (!response) {
    outcome.what = delivery_outcome::kind::failed;
    outcome.error = "no response: " + response.error().message();
    co_return outcome;
  }
  outcome.status = response->status;
  if (response->status >= 200 && response->status < 300) {
    outcome.what = delivery_outcome::kind::delivered;
  } else if (response->status == 410) {
    outcome.what = delivery_outcome::kind::gone;
    outcome.error = "410 Gone";
  } else {
    outcome.what = delivery_outcome::kind::failed;
    outcome.error = "HTTP " + std::to_string(response->status);
    outcome.retry_after = parse_retry_after(response->header("Retry-After"));
  }
  co_return outcome;
}

}  // namespace supportd::notify

// fake-stripe's whole behaviour, without I/O: a request in, what to answer (and which events to
// deliver) out. The Stripe API (/v1/…), the hosted checkout page (/pay/…) and the controls tests
// use (/__control/…). The HTTP layer (http_io) only carries bytes and waits.
// Not thread-safe: one io_context thread owns it.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "form_params.hpp"
#include "idempotency_store.hpp"
#include "stripe_objects.hpp"

namespace fake_stripe {

struct http_header {
  std::string name;
  std::string value;
};

struct api_request {
  std::string method;
  std::string target;  // path and query
  std::vector<http_header> headers;
  std::string body;

  // The first header of that name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
};

struct api_response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<http_header> headers;
  std::string body;
};

// An event to POST to the webhook endpoint; `body` is the exact payload to sign and send.
struct outgoing_event {
  std::string id;
  std::string type;
  std::string body;
};

struct api_outcome {
  // How the events are delivered relative to the answer: `background` like Stripe (the answer
  // does not wait), `before_answer` (the first attempt of each ends before the answer is sent:
  // the hosted page's redirect), `report` (the answer is the first attempt's result:
  // /__control/events).
  enum class delivery { background, before_answer, report };

  api_response response;
  bool drop = false;                   // close the connection without answering
  std::chrono::milliseconds delay{0};  // wait this long before answering
  std::vector<outgoing_event> events;
  delivery mode = delivery::background;
  // With `report`: more members of the answer (what a renewal invoiced and charged).
  boost::json::object report;
};

struct api_options {
  std::optional<std::string> secret_key;  // none: any sk_test_/rk_test_ key is accepted
  std::string public_url;                 // base of the hosted checkout pages
  std::function<std::int64_t()> clock;    // unix seconds; the system clock when empty
  std::uint64_t seed = 0;                 // of the ids; 0 takes a random seed
};

class fake_stripe_api {
 public:
  explicit fake_stripe_api(api_options options);

  api_outcome handle(const api_request& request);

  // Notes one delivery attempt of an event, for GET /__control/deliveries. `status` is the
  // endpoint's HTTP status, or none when no answer came (then `error` says why).
  void record_delivery(const outgoing_event& event, int attempt, std::optional<int> status,
                       const std::string& error);

  // The answer to /__control/events once the first delivery attempt is known (none: there is
  // no webhook endpoint, or it did not answer), with the outcome's `report` members.
  static std::string delivery_report(const outgoing_event& event, std::optional<int> status,
                                     const boost::json::object& report = {});

 private:
  struct failure {
    std::string mode;  // status, drop, slow
    int status = 500;
    std::int64_t delay_ms = 0;
    std::optional<bool> should_retry;
    std::optional<std::string> type;
    std::optional<std::string> code;
    std::optional<std::string> message;
  };
  // What an endpoint answered; `ran` is false when it refused the request before doing
  // anything (invalid parameters): Stripe saves no idempotent result for those.
  struct result {
    int status = 200;
    std::string body;
    bool ran = true;
    std::vector<outgoing_event> events;
  };
  struct request_context {
    std::string request_id;
    std::optional<std::string> idempotency_key;
  };

  std::int64_t now() const;
  std::string random_id(std::string_view prefix, std::size_t length = 24);

  api_outcome handle_api(const api_request& request, std::string_view path, std::string_view query);
  api_outcome handle_control(const api_request& request, std::string_view path);
  api_outcome handle_hosted(const api_request& request, std::string_view path);
  // The Billing Portal's page (/billing/{id}): the customer, and "Update card".
  api_outcome handle_portal(const api_request& request, std::string_view path);

  std::optional<stripe_error> check_auth(const api_request& request, std::string& api_key) const;
  result route(const std::string& method, std::string_view path, const form_params& params,
               const request_context& context);
  result create_checkout_session(const form_params& params);
  result retrieve_session(const std::string& id);
  result expire_session(const std::string& id, const request_context& context);
  result retrieve_subscription(const std::string& id);
  result update_subscription(const std::string& id, const form_params& params,
                             const request_context& context);
  // The item changes of `update` on `sub`, checked against it; nothing changes on an error.
  std::optional<stripe_error> apply_item_updates(subscription_record& sub,
                                                 const subscription_update& update);
  result create_portal_session(const form_params& params);
  result cancel_subscription(const std::string& id, const form_params& params,
                             const request_context& context);
  // GET /v1/events: the event log, newest first, with Stripe's filters and cursors.
  result list_events(const form_params& params);
  result retrieve_event(const std::string& id);

  // The hosted page's "Pay": completes the session and makes the objects Stripe would.
  std::vector<outgoing_event> complete_session(session_record& s, const std::string& email,
                                               bool delayed_payment);
  void expire_if_due(session_record& s, std::vector<outgoing_event>& events);
  charge_record& make_charge(const std::string& customer, std::optional<std::string> email,
                             std::int64_t amount, const std::string& currency,
                             std::optional<std::string> invoice, metadata_map metadata,
                             std::optional<std::string> description, bool paid);
  // The subscription's next invoice, for its current items and period, not yet kept.
  invoice_record new_invoice(const subscription_record& sub, std::string billing_reason);
  invoice_record& make_invoice(subscription_record& sub, std::string billing_reason, bool paid);
  // A renewal's invoice while collection is paused: made in the state the pause's behavior
  // says (void, draft, uncollectible), nothing charged.
  invoice_record& make_uncollected_invoice(subscription_record& sub);

  // POST /__control/events: the event of `type` about a session or subscription.
  api_outcome control_event(const boost::json::object& spec);
  outgoing_event make_event(std::string_view type, boost::json::object object,
                            std::optional<boost::json::object> previous = {},
                            const request_context* context = nullptr);

  api_options options_;
  std::mt19937_64 random_;
  idempotency_store idempotency_;
  std::deque<failure> failures_;
  std::map<std::string, session_record> sessions_;
  std::map<std::string, subscription_record> subscriptions_;
  std::map<std::string, invoice_record> invoices_;
  std::map<std::string, charge_record> charges_;
  std::map<std::string, std::string> session_charges_;  // payment-mode session → its charge
  std::map<std::string, customer_record> customers_;
  std::map<std::string, std::string> products_;  // prod_… → name (empty when only named by id)
  std::map<std::string, portal_session_record> portal_sessions_;
  std::string
      portal_configuration_;  // bpc_…: the default configuration, made with the first session
  std::map<std::string, outgoing_event> sent_events_;
  // Every event made, oldest first, as GET /v1/events shows them (Stripe keeps them 30 days;
  // a test's life is shorter).
  struct logged_event {
    std::int64_t created = 0;
    std::string id;
    std::string type;
    boost::json::object object;
  };
  std::vector<logged_event> event_log_;
  std::set<std::string> delivered_;  // events some attempt delivered (a 2xx)
  boost::json::array request_log_;
  boost::json::array delivery_log_;
};

}  // namespace fake_stripe

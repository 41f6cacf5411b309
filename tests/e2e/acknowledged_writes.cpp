#include "e2e/acknowledged_writes.hpp"

#include <boost/json/parse.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "e2e/fake_stripe_peer.hpp"
#include "support/raw_client.hpp"
#include "webhooks/stripe_signature.hpp"

namespace supportd::test {
namespace {

constexpr auto webhook_secret = "whsec_durability";
constexpr auto site = "http://shop.test";

std::string post(const std::string& path, const std::string& content_type, const std::string& body,
                 const std::string& extra_headers) {
  return "POST " + path + " HTTP/1.1\r\nHost: support.test\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
         body;
}

void collect_event_ids(const std::vector<std::string>& lines, std::set<std::string>& out) {
  static const std::regex event_id(R"(evt_[A-Za-z0-9_]+)");
  for (const auto& line : lines) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), event_id);
         it != std::sregex_iterator(); ++it) {
      out.insert(it->str());
    }
  }
}

}  // namespace

writing_service::writing_service(const std::string& redis_url, std::vector<std::string> extra) {
  const auto& d = dir_.path();
  make_certificate(d / "stripe-cert.pem", d / "stripe-key.pem", "fake-stripe");
  std::ofstream(d / "stripe-secret") << "sk_test_supportd\n";
  std::ofstream(d / "webhook-secrets") << webhook_secret << "\n";
  std::ofstream(d / "link-secret") << "0123456789abcdef0123456789abcdef-links\n";
  std::ofstream(d / "data-keys") << "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
  const int stripe_port = free_port();
  std::vector<std::string> args = {
      "--stripe-webhook-secret-file=" + (d / "webhook-secrets").string(),
      "--webhook-retry-after=1s",
      "--stripe-secret-key-file=" + (d / "stripe-secret").string(),
      "--stripe-api-base=https://127.0.0.1:" + std::to_string(stripe_port),
      "--stripe-ca-file=" + (d / "stripe-cert.pem").string(),
      "--link-secret-file=" + (d / "link-secret").string(),
      "--data-key-file=" + (d / "data-keys").string(),
      "--public-url=https://support.test",
      std::string("--allowed-origins=") + site,
      "--pledge-error-url=http://shop.test/donate",
      "--reminder-signups-per-email-per-hour=0",
  };
  supportd_ = std::make_unique<supportd_process>(redis_url, with_test_rate_limit(args, extra));
  if (!supportd_->wait_ready(std::chrono::seconds(10))) {
    throw std::runtime_error("supportd did not become ready");
  }
  stripe_ = start_fake_stripe(d, stripe_port, supportd_->http_port(), webhook_secret);
}

std::string pledge_request(const std::string& idempotency_key) {
  const std::string body =
      R"({"amount":"5","currency":"USD","interval":"month","email":"reader@example.org",)"
      R"("campaign":"winter","component":"banner","success_url":"http://shop.test/thanks",)"
      R"("cancel_url":"http://shop.test/donate"})";
  return post("/v1/pledges", "application/json", body,
              idempotency_key.empty() ? "" : "Idempotency-Key: " + idempotency_key + "\r\n");
}

std::string pledge_form_request(const std::string& email) {
  return post("/v1/pledges", "application/x-www-form-urlencoded",
              "amount=2&currency=USD&interval=month&email=" + email +
                  "&success_url=http%3A%2F%2Fshop.test%2Fthanks&cancel_url=http%3A%2F%2Fshop.test"
                  "%2Fdonate",
              std::string("Origin: ") + site + "\r\n");
}

std::string signup_request(const std::string& email) {
  return post("/v1/reminders", "application/json",
              R"({"email":")" + email +
                  R"(","remind_in":"P7D","campaign":"winter","consent":true,)"
                  R"("consent_version":"2026-11"})",
              "");
}

std::string webhook_request(const std::string& event_id, const std::string& pledge_id) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string event =
      R"({"id":")" + event_id +
      R"(","object":"event","type":"invoice.paid","created":1700000000,"livemode":false,)"
      R"("data":{"object":{"object":"invoice","id":"in_)" +
      event_id + R"(","subscription":"sub_)" + pledge_id +
      R"(","amount_paid":500,"currency":"usd","subscription_details":{"metadata":{"pledge_id":")" +
      pledge_id + R"("}}}}})";
  return post(
      "/v1/webhooks/stripe", "application/json", event,
      "Stripe-Signature: " + webhooks::sign_stripe_payload(event, webhook_secret, now) + "\r\n");
}

namespace {

// The ids for which `lua` (given one id as `id`) is false, checked in one script per call rather
// than a redis-cli per id: the restart test checks thousands.
std::vector<std::string> missing(const redis_server& redis, const std::string& lua,
                                 const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return {};
  }
  std::vector<std::string> args = {"EVAL",
                                   "local out = {} for _, id in ipairs(ARGV) do if not (" + lua +
                                       ") then table.insert(out, id) end end return out",
                                   "0"};
  args.insert(args.end(), ids.begin(), ids.end());
  auto lines = redis.cli(args);
  std::erase(lines, std::string());
  return lines;
}

}  // namespace

std::vector<std::string> missing_pledges(const redis_server& redis,
                                         const std::vector<std::string>& ids) {
  return missing(redis, "redis.call('EXISTS', 'supportd:pledge:' .. id) == 1", ids);
}

std::vector<std::string> missing_reminders(const redis_server& redis,
                                           const std::vector<std::string>& ids) {
  return missing(redis, "redis.call('HEXISTS', 'supportd:rem:b:' .. string.sub(id, 1, 2), id) == 1",
                 ids);
}

std::set<std::string> webhook_events_kept(const redis_server& redis) {
  std::set<std::string> ids;
  collect_event_ids(redis.cli({"KEYS", "supportd:seen:*"}), ids);
  collect_event_ids(redis.cli({"XRANGE", "supportd:stripe:events", "-", "+"}), ids);
  collect_event_ids(redis.cli({"LRANGE", "supportd:stripe:orphans", "0", "-1"}), ids);
  collect_event_ids(redis.cli({"HGETALL", "supportd:stripe:dead"}), ids);
  return ids;
}

std::string id_of(const std::string& json_body) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(json_body, ec);
  if (ec || !parsed.is_object() || !parsed.as_object().contains("id")) {
    return {};
  }
  return std::string(parsed.as_object().at("id").as_string());
}

void ledger::add(request_record r) {
  std::lock_guard lock(mutex_);
  if (r.kind == write_kind::pledge && r.status == 201) {
    latest_pledge_ = r.id;
  }
  records_.push_back(std::move(r));
}

std::string ledger::latest_pledge() {
  std::lock_guard lock(mutex_);
  return latest_pledge_.empty() ? "pl_not_yet" : latest_pledge_;
}

std::vector<request_record> ledger::records() {
  std::lock_guard lock(mutex_);
  return records_;
}

void send_writes(const std::string& tag, int client, int port, const std::atomic<bool>& stop,
                 ledger& seen) {
  auto connection = std::make_unique<raw_client>(port, false);
  for (int n = 0; !stop; ++n) {
    request_record r;
    r.kind = static_cast<write_kind>((n + client) % 3);
    const auto name = tag + "_" + std::to_string(client) + "_" + std::to_string(n);
    std::string request;
    switch (r.kind) {
      case write_kind::pledge:
        request = pledge_request(name);
        break;
      case write_kind::signup:
        request = signup_request("reader" + name + "@example.org");
        break;
      case write_kind::webhook:
        r.id = "evt_" + name;
        request = webhook_request(r.id, seen.latest_pledge());
        break;
    }
    r.started = clock_type::now();
    connection->send(request);
    auto answer = connection->read_response(std::chrono::seconds(5));
    r.finished = clock_type::now();
    if (answer) {
      r.status = answer->status;
      if (r.kind != write_kind::webhook && acknowledged(r)) {
        r.id = id_of(answer->body);
      }
    } else {
      connection = std::make_unique<raw_client>(port, false);
    }
    seen.add(std::move(r));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::vector<std::string> lost_writes(const redis_server& redis,
                                     const std::vector<request_record>& records) {
  std::vector<std::string> pledges;
  std::vector<std::string> reminders;
  std::vector<std::string> lost;
  for (const auto& r : records) {
    if (!acknowledged(r)) {
      continue;
    }
    if (r.kind == write_kind::pledge) {
      pledges.push_back(r.id);
    } else if (r.kind == write_kind::signup) {
      reminders.push_back(r.id);
    }
  }
  lost = missing_pledges(redis, pledges);
  auto reminders_lost = missing_reminders(redis, reminders);
  lost.insert(lost.end(), reminders_lost.begin(), reminders_lost.end());
  const auto kept = webhook_events_kept(redis);
  for (const auto& r : records) {
    if (acknowledged(r) && r.kind == write_kind::webhook && !kept.contains(r.id)) {
      lost.push_back(r.id);
    }
  }
  return lost;
}

}  // namespace supportd::test

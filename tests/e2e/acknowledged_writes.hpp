// The three writes supportd acknowledges to the outside, as the durability tests make them and
// check them: a pledge (201, or a form's 303), a reminder sign-up (201) and a Stripe webhook
// (200). Each acknowledged one must be found in Redis afterwards, whatever happened to Redis.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::test {

// supportd with pledges (against fake-stripe), reminders and Stripe webhooks on, and the
// per-address limits off; `extra` flags after.
class writing_service {
 public:
  writing_service(const std::string& redis_url, std::vector<std::string> extra = {});

  supportd_process& supportd() { return *supportd_; }
  int http_port() const { return supportd_->http_port(); }

 private:
  temp_dir dir_;
  std::unique_ptr<supportd_process> supportd_;
  std::unique_ptr<child_process> stripe_;
};

// Whole HTTP/1.1 requests, ready for raw_client::send.
// A monthly pledge as a script posts it, with its own Idempotency-Key (none when empty).
std::string pledge_request(const std::string& idempotency_key);
// The same pledge as a plain form from the site posts it, `email` form-encoded (no Idempotency-Key:
// the form's address and body stand in for one).
std::string pledge_form_request(const std::string& email);
// A sign-up of `email` (as JSON carries it) for a reminder in a week.
std::string signup_request(const std::string& email);
// invoice.paid for `pledge_id`, as Stripe signs and sends it.
std::string webhook_request(const std::string& event_id, const std::string& pledge_id);

// What Redis holds of each write (its keys under the default `supportd:` prefix): of `ids`, the
// ones Redis has no pledge (or pending reminder) for.
std::vector<std::string> missing_pledges(const redis_server& redis,
                                         const std::vector<std::string>& ids);
std::vector<std::string> missing_reminders(const redis_server& redis,
                                           const std::vector<std::string>& ids);
inline bool pledge_stored(const redis_server& redis, const std::string& pledge_id) {
  return missing_pledges(redis, {pledge_id}).empty();
}
inline bool reminder_stored(const redis_server& redis, const std::string& reminder_id) {
  return missing_reminders(redis, {reminder_id}).empty();
}
// The event ids Redis holds in any form: waiting in the stream, applied (its dedupe mark), kept
// as an orphan or a dead letter.
std::set<std::string> webhook_events_kept(const redis_server& redis);

// The `id` member of a JSON answer.
std::string id_of(const std::string& json_body);

// A steady mix of the three writes, as the durability tests send it, and what came of each.
using clock_type = std::chrono::steady_clock;
enum class write_kind { pledge, signup, webhook };

struct request_record {
  write_kind kind;
  clock_type::time_point started;
  clock_type::time_point finished;
  int status = 0;  // 0: no answer within 5 s, or the connection closed
  std::string id;  // of the acknowledged write: pledge id, reminder id, event id
};

inline bool acknowledged(const request_record& r) {
  return r.status == 200 || r.status == 201 || r.status == 303;
}

inline std::chrono::milliseconds took(const request_record& r) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(r.finished - r.started);
}

// What the clients saw, shared by their threads.
class ledger {
 public:
  void add(request_record r);
  // A pledge the webhooks can be about: the latest acknowledged one.
  std::string latest_pledge();
  std::vector<request_record> records();

 private:
  std::mutex mutex_;
  std::vector<request_record> records_;
  std::string latest_pledge_;
};

// One client until `stop`: a kept-alive connection to supportd on `port` (a new one when it is
// gone), pledges, sign-ups and webhooks in turn, each tagged with `tag` and `client`.
void send_writes(const std::string& tag, int client, int port, const std::atomic<bool>& stop,
                 ledger& seen);

// The ids of the acknowledged writes of `records` missing from `redis`: lost.
std::vector<std::string> lost_writes(const redis_server& redis,
                                     const std::vector<request_record>& records);

}  // namespace supportd::test

// Stripe's idempotent requests: the first response to a POST with an `Idempotency-Key` is kept
// for 24 hours; the same key with the same parameters gets it again, the same key with other
// parameters (or another endpoint) gets an idempotency_error. Keys belong to one API key.
// Not thread-safe: one io_context thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "form_params.hpp"
#include "stripe_error.hpp"

namespace fake_stripe {

struct saved_response {
  int status = 200;
  std::string body;
  std::string request_id;  // the original request's: replays send it as `Original-Request`
};

class idempotency_store {
 public:
  static constexpr std::int64_t retention_seconds = 86'400;  // 24 hours

  struct replay {
    saved_response response;
  };
  struct fresh {};
  using lookup = std::variant<fresh, replay, stripe_error>;

  // What a request with `key` gets at `now`: a fresh run, the saved response, or an error.
  lookup find(const std::string& api_key, const std::string& key, const std::string& method,
              const std::string& path, const form_params& params, std::int64_t now);

  // Keeps the response of a request that ran.
  void save(const std::string& api_key, const std::string& key, const std::string& method,
            const std::string& path, form_params params, saved_response response, std::int64_t now);

  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct entry {
    std::string method;
    std::string path;
    form_params params;
    saved_response response;
    std::int64_t created = 0;
  };
  void prune(std::int64_t now);

  std::map<std::string, entry> entries_;
  std::int64_t last_prune_ = 0;
};

}  // namespace fake_stripe

#include "idempotency_store.hpp"

namespace fake_stripe {

namespace {

std::string scoped(const std::string& api_key, const std::string& key) {
  return api_key + '\n' + key;
}

}  // namespace

idempotency_store::lookup idempotency_store::find(const std::string& api_key,
                                                  const std::string& key, const std::string& method,
                                                  const std::string& path,
                                                  const form_params& params, std::int64_t now) {
  prune(now);
  auto it = entries_.find(scoped(api_key, key));
  if (it == entries_.end()) {
    return fresh{};
  }
  const auto& e = it->second;
  if (e.method != method || e.path != path) {
    return stripe_error{400, "idempotency_error", std::nullopt,
                        "Keys for idempotent requests can only be used for the same endpoint they "
                        "were first used for ('" +
                            e.method + " " + e.path + "' vs '" + method + " " + path +
                            "'). Try using a key other than '" + key +
                            "' if you meant to execute a different request.",
                        std::nullopt};
  }
  if (!(e.params == params)) {
    return stripe_error{400, "idempotency_error", std::nullopt,
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than '" +
                            key + "' if you meant to execute a different request.",
                        std::nullopt};
  }
  return replay{e.response};
}

void idempotency_store::save(const std::string& api_key, const std::string& key,
                             const std::string& method, const std::string& path, form_params params,
                             saved_response response, std::int64_t now) {
  entries_[scoped(api_key, key)] = entry{method, path, std::move(params), std::move(response), now};
}

void idempotency_store::prune(std::int64_t now) {
  // Keys live 24 h: a sweep a minute is plenty, and a sweep per request would make every request
  // cost as much as all the keys held.
  if (now - last_prune_ < 60) {
    return;
  }
  last_prune_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.created >= retention_seconds) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace fake_stripe

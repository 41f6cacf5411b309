// What the reconciliation's admin routes use on one worker thread; app/ builds one per worker.
#pragma once

namespace supportd::config {
struct settings;
}
namespace supportd::redis {
class connection;
}

namespace supportd::reconcile {

class stripe_reconciler;

struct reconcile_context {
  const config::settings& settings;
  redis::connection& redis;
  // Null without a Stripe key or webhook secrets: the reconciliation is then off.
  stripe_reconciler* reconciler = nullptr;
};

}  // namespace supportd::reconcile

// The admin API of the reconciliation with Stripe.
#pragma once

#include "core/net.hpp"
#include "http/message.hpp"
#include "reconcile/reconcile_context.hpp"

namespace supportd::reconcile {

// POST /admin/reconcile/stripe (admin token): starts a run in the background and answers 202
// with where it starts; 409 if one is running (on any replica); 503 when Stripe's key or the
// webhook secrets are not set. A run can take minutes (a page of 100 events per Stripe call).
awaitable<http::response> start_stripe_reconcile(const http::request& req, reconcile_context& ctx);

// GET /admin/reconcile/stripe (admin token): whether a run is going on, the checkpoint, and
// what the last finished run did.
awaitable<http::response> stripe_reconcile_status(const http::request& req, reconcile_context& ctx);

}  // namespace supportd::reconcile

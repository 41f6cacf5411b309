// Provider webhooks in, and the admin view of the ones that failed.
#pragma once

#include "core/net.hpp"
#include "http/message.hpp"
#include "webhooks/webhook_context.hpp"

namespace supportd::webhooks {

// POST /v1/webhooks/stripe: verify, append to the event stream, then 200. The work happens
// behind (event_processor).
awaitable<http::response> receive_stripe(const http::request& req, webhook_context& ctx);

// GET /admin/dead-letters and POST /admin/dead-letters/{id}/replay (bearer admin token).
awaitable<http::response> list_dead_letters(const http::request& req, webhook_context& ctx);
awaitable<http::response> replay_dead_letter(const http::request& req, webhook_context& ctx);

}  // namespace supportd::webhooks

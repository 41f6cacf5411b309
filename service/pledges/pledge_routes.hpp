// The pledge endpoints: intake from checkout forms, the reader's view, cancelling.
#pragma once

#include "core/net.hpp"
#include "http/message.hpp"
#include "pledges/pledge_context.hpp"

namespace supportd::pledges {

// POST /v1/pledges: JSON (201 with the checkout URL) or a plain form post (303 to checkout).
awaitable<http::response> create_pledge(const http::request& req, pledge_context& ctx);
// OPTIONS /v1/pledges: the CORS preflight.
awaitable<http::response> pledge_preflight(const http::request& req, pledge_context& ctx);
// GET /v1/pledges/{id} with the manage token (or the admin token) as a bearer token.
awaitable<http::response> get_pledge(const http::request& req, pledge_context& ctx);
// POST /v1/pledges/{id}/cancel with the manage token, the admin token, or a signed link token.
awaitable<http::response> cancel_pledge(const http::request& req, pledge_context& ctx);
// GET /v1/pledges/{id}/cancel?token=…: the one-click link's confirmation page.
awaitable<http::response> cancel_page(const http::request& req, pledge_context& ctx);
// GET /admin/messages/dead-letters: the reader's messages that died, oldest first.
awaitable<http::response> list_dead_messages(const http::request& req, pledge_context& ctx);
// GET /v1/pledges/{id}/manage?token=…: the reader's manage page, from the link in every message.
awaitable<http::response> manage_page(const http::request& req, pledge_context& ctx);
// POST /admin/messages/dead-letters/{id}/replay: a dead reader's message due again now.
awaitable<http::response> replay_dead_message(const http::request& req, pledge_context& ctx);

}  // namespace supportd::pledges

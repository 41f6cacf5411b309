// The pledge endpoints: intake from checkout forms, the reader's view, their changes, cancelling.
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
// POST /v1/pledges/{id}/cancel with the manage token, the admin token, or a cancel or manage
// link's token. The manage page's form is sent back to it (303); the cancel link's gets a page.
awaitable<http::response> cancel_pledge(const http::request& req, pledge_context& ctx);
// POST /v1/pledges/{id}/amount, /pause, /resume: the reader's changes to a recurring pledge
// (pledge_changes.hpp), with the manage token, the admin token or a manage link's token.
// JSON answers the pledge; the manage page's form is sent back to it (303).
awaitable<http::response> change_amount(const http::request& req, pledge_context& ctx);
awaitable<http::response> pause_pledge(const http::request& req, pledge_context& ctx);
awaitable<http::response> resume_pledge(const http::request& req, pledge_context& ctx);
// POST /v1/pledges/{id}/payment-method: the provider's card page, as with the changes, or with a
// failed renewal's card update link: JSON {url}, a form 303 to it.
awaitable<http::response> update_payment_method(const http::request& req, pledge_context& ctx);
// GET /v1/pledges/{id}/payment-method?token=…: the card update link's page, whose button posts.
awaitable<http::response> payment_method_page(const http::request& req, pledge_context& ctx);
// GET /v1/pledges/{id}/cancel?token=…: the one-click link's confirmation page.
awaitable<http::response> cancel_page(const http::request& req, pledge_context& ctx);
// GET /admin/messages/dead-letters: the reader's messages that died, oldest first.
awaitable<http::response> list_dead_messages(const http::request& req, pledge_context& ctx);
// GET /v1/pledges/{id}/manage?token=…: the reader's manage page, from the link in every message.
awaitable<http::response> manage_page(const http::request& req, pledge_context& ctx);
// POST /admin/messages/dead-letters/{id}/replay: a dead reader's message due again now.
awaitable<http::response> replay_dead_message(const http::request& req, pledge_context& ctx);

}  // namespace supportd::pledges

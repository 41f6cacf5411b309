// The reminder endpoints: sign-up from the site, the reader's one-click unsubscribe and delete,
// and the admin's erasure, re-sealing and dead letters.
#pragma once

#include "core/net.hpp"
#include "http/message.hpp"
#include "reminders/reminder_context.hpp"

namespace supportd::reminders {

// POST /v1/reminders: JSON (201 with id, due_at, manage_token) or a plain form (303 to thanks).
awaitable<http::response> create_reminder(const http::request& req, reminder_context& ctx);
// OPTIONS /v1/reminders: the CORS preflight.
awaitable<http::response> reminder_preflight(const http::request& req, reminder_context& ctx);
// GET /v1/reminders/{id} with the manage token as a bearer token: status and due time.
awaitable<http::response> get_reminder(const http::request& req, reminder_context& ctx);
// DELETE /v1/reminders/{id} with the manage token: the reminder and its data are gone.
awaitable<http::response> delete_reminder(const http::request& req, reminder_context& ctx);
// POST /v1/reminders/unsubscribe?id=…&token=…: RFC 8058 one-click (List-Unsubscribe=One-Click)
// and the confirmation page's button. Idempotent.
awaitable<http::response> unsubscribe(const http::request& req, reminder_context& ctx);
// GET of the same link: a page with the button (mail scanners follow links; they must not
// unsubscribe anyone).
awaitable<http::response> unsubscribe_page(const http::request& req, reminder_context& ctx);
// POST /admin/erasure {"email": …}: every reminder of that reader removed; what was removed.
awaitable<http::response> erase_reader(const http::request& req, reminder_context& ctx);
// POST /admin/reminders/reseal?cursor=…&limit=…: addresses sealed under an older data key moved
// to the sealing key, a share per call; call again with the answered cursor until `done`.
awaitable<http::response> reseal_reminders(const http::request& req, reminder_context& ctx);
// GET /admin/reminders/dead-letters and POST /admin/reminders/dead-letters/{id}/replay.
awaitable<http::response> list_dead_reminders(const http::request& req, reminder_context& ctx);
awaitable<http::response> replay_dead_reminder(const http::request& req, reminder_context& ctx);

}  // namespace supportd::reminders

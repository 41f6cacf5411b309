// GET /admin/report: the reader-revenue report (report_counter.hpp) for a range of days, as
// JSON or CSV. A thin handler: report_query parses, report_store reads, report_table writes.
#pragma once

#include "core/net.hpp"
#include "http/message.hpp"
#include "reports/report_context.hpp"

namespace supportd::reports {

awaitable<http::response> admin_report(const http::request& req, report_context& ctx);

}  // namespace supportd::reports

#include "reports/report_routes.hpp"

#include "config/settings.hpp"
#include "http/admin_access.hpp"
#include "http/problem.hpp"
#include "log/logger.hpp"
#include "reports/report_query.hpp"
#include "reports/report_store.hpp"
#include "reports/report_table.hpp"

namespace supportd::reports {

awaitable<http::response> admin_report(const http::request& req, report_context& ctx) {
  if (auto refusal = http::refuse_unless_admin(req, ctx.settings)) {
    co_return *refusal;
  }
  auto parsed =
      parse_report_query({req.query_param("from"), req.query_param("to"), req.query_param("by"),
                          req.query_param("format"), std::string(req.header_value("Accept"))});
  if (auto* problem = std::get_if<http::problem>(&parsed)) {
    co_return http::make_problem_response(*problem);
  }
  const auto& q = std::get<report_query>(parsed);
  report_store store(ctx.redis, ctx.settings.redis_prefix);
  auto table = co_await store.read(q);
  if (!table) {
    co_return http::store_unavailable_response();
  }
  if (table->skipped() > 0) {
    log::warn("report fields that name no counter were skipped", {{"skipped", table->skipped()}});
  }
  const auto rows = table->rows();
  if (q.csv) {
    co_return http::response::of_type(200, "text/csv; charset=utf-8", to_csv(q, rows));
  }
  co_return http::response::json(200, to_json(q, rows));
}

}  // namespace supportd::reports

// The settings the features above config/ read for themselves (config keeps their text), read
// once at start: a bad one stops the start like a bad flag does, naming the flag.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "config/settings.hpp"
#include "pledges/pledge_limits.hpp"
#include "redis/redis_settings.hpp"
#include "reminders/time_zone.hpp"
#include "reports/report_metrics.hpp"

namespace supportd::app {

struct feature_settings {
  redis::redis_settings redis;
  pledges::pledge_limits pledge_limits;
  std::shared_ptr<const reminders::time_zone> reminder_time_zone;
  // --report-campaigns: the campaigns the report's Prometheus labels name.
  std::vector<std::string> report_campaigns;
};

// The features' settings, or "--flag: why" for the first bad one.
std::variant<feature_settings, std::string> read_feature_settings(const config::settings& s);

// config::parse_settings, then read_feature_settings: a `run` outcome whose feature settings do
// not read turns `invalid` with their message. What main() and the settings tests call.
struct startup_settings {
  config::parse_result parsed;
  feature_settings features;
};
startup_settings parse_startup_settings(int argc, const char* const* argv,
                                        const std::vector<std::string>& environment);

}  // namespace supportd::app

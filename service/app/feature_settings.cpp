#include "app/feature_settings.hpp"

namespace supportd::app {

std::variant<feature_settings, std::string> read_feature_settings(const config::settings& s) {
  feature_settings out;
  auto redis = redis::read_redis_settings({
      .url = s.redis_url,
      .username = s.redis_username,
      .password = s.redis_password,
      .tls = {.ca_file = s.redis_ca_file,
              .cert_file = s.redis_cert_file,
              .key_file = s.redis_key_file},
      .sentinels = s.redis_sentinels,
      .master_name = s.redis_master_name,
      .sentinel_username = s.redis_sentinel_username,
      .sentinel_password = s.redis_sentinel_password,
      .wait_replicas = s.redis_wait_replicas,
      .wait_timeout = s.redis_wait_timeout,
      .command_timeout = s.redis_timeout,
  });
  if (auto* why = std::get_if<std::string>(&redis)) {
    return std::move(*why);
  }
  out.redis = std::move(std::get<redis::redis_settings>(redis));
  std::string why;
  auto limits = pledges::pledge_limits::parse(s.pledge_limits, why);
  if (!limits) {
    return "--pledge-limits: " + why;
  }
  out.pledge_limits = std::move(*limits);
  auto campaigns = reports::parse_report_campaigns(s.report_campaigns, why);
  if (!campaigns) {
    return "--report-campaigns: " + why;
  }
  out.report_campaigns = std::move(*campaigns);
  out.reminder_time_zone = reminders::time_zone::find(s.reminder_time_zone);
  if (!out.reminder_time_zone) {
    return std::string("--reminder-time-zone: not a time zone in /usr/share/zoneinfo");
  }
  return out;
}

startup_settings parse_startup_settings(int argc, const char* const* argv,
                                        const std::vector<std::string>& environment) {
  startup_settings out{config::parse_settings(argc, argv, environment), {}};
  if (out.parsed.outcome != config::parse_outcome::run) {
    return out;
  }
  auto features = read_feature_settings(out.parsed.values);
  if (auto* why = std::get_if<std::string>(&features)) {
    out.parsed.outcome = config::parse_outcome::invalid;
    out.parsed.message = std::move(*why);
    return out;
  }
  out.features = std::move(std::get<feature_settings>(features));
  return out;
}

}  // namespace supportd::app

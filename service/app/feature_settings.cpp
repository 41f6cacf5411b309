#include "app/feature_settings.hpp"

namespace supportd::app {

std::variant<feature_settings, std::string> read_feature_settings(const config::settings& s) {
  feature_settings out;
  std::string why;
  auto limits = pledges::pledge_limits::parse(s.pledge_limits, why);
  if (!limits) {
    return "--pledge-limits: " + why;
  }
  out.pledge_limits = std::move(*limits);
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

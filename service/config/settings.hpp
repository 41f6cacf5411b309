// supportd's settings: every one a command-line flag and a SUPPORTD_* environment variable.
//
// The environment name of `--listen-https` is SUPPORTD_LISTEN_HTTPS. A flag wins over the
// environment. Secrets come from files named by settings, never from the command line itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/host_port.hpp"
#include "log/logger.hpp"

namespace supportd::security {
class data_keys;
}

namespace supportd::config {

struct settings {
  std::optional<common::host_port> listen_https;
  std::optional<common::host_port> listen_http;
  // Plain HTTP for /metrics, /readyz and /admin/*, which the public listeners then do not serve.
  std::optional<common::host_port> listen_ops;
  std::string tls_cert_file;
  std::string tls_key_file;

  // Redis: read and checked by redis/redis_settings.hpp at start (app/feature_settings.hpp).
  std::string redis_url;
  std::string redis_username;
  std::string redis_password;  // --redis-password-file's content
  std::string redis_ca_file;
  std::string redis_cert_file;
  std::string redis_key_file;
  std::string redis_sentinels;
  std::string redis_master_name;
  std::string redis_sentinel_username;
  std::string redis_sentinel_password;
  int redis_wait_replicas = 0;
  std::chrono::milliseconds redis_wait_timeout{1000};
  std::string redis_prefix = "supportd:";
  std::chrono::milliseconds redis_timeout{2000};

  unsigned threads = 1;
  std::size_t max_body_bytes = std::size_t{64} * 1024;
  std::size_t max_header_bytes = std::size_t{8} * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds drain_timeout{10'000};

  // Empty when --admin-token-file is not set: the admin API is then off.
  std::string admin_token;
  log::level log_level = log::level::info;

  // Pledges. Without a Stripe key the pledge endpoints answer 503 naming the setting.
  std::vector<std::string> allowed_origins;
  // Checked and read by pledges/pledge_limits.hpp at start (app/feature_settings.hpp).
  std::string pledge_limits;
  // Checked and read by reports/report_metrics.hpp at start (app/feature_settings.hpp).
  std::string report_campaigns;
  std::string stripe_secret_key;
  std::string stripe_api_base = "https://api.stripe.com";
  std::string stripe_ca_file;
  std::string stripe_product_name = "Support";
  std::chrono::milliseconds stripe_timeout{10'000};
  // Empty: the account's default payment method configuration decides what Checkout offers.
  std::string stripe_payment_method_configuration;
  // Methods a reader may pick on the site's form, passed on to Checkout; others are left to it.
  std::vector<std::string> stripe_payment_methods;
  std::string pledge_error_url;
  // Signs one-click links in emails; empty: such links are off.
  std::string link_secret;
  // supportd's own public base URL, for the links it hands out.
  std::string public_url;
  // The site's stylesheet for the reader's manage page (an absolute http(s) URL); empty: the
  // page's own small style.
  std::string manage_page_stylesheet;

  // Stripe webhooks: every line of the secret file is an active secret (rotation).
  std::vector<std::string> stripe_webhook_secrets;
  std::chrono::milliseconds stripe_webhook_tolerance{300'000};
  // Live deployments refuse test-mode events and the other way round.
  bool stripe_livemode = false;
  std::chrono::milliseconds webhook_retry_after{30'000};
  int webhook_max_attempts = 5;
  // Received events waiting to be processed past which new ones are refused with 503.
  std::int64_t webhook_max_backlog = 100'000;

  // How often Stripe's event list is compared with what was applied (reconcile/); 0: only when
  // an admin asks. Needs the Stripe key and the webhook secrets (the events go to their stream).
  std::chrono::milliseconds stripe_reconcile_interval{3'600'000};

  // Reminders. Sign-ups need the data keys (addresses are stored sealed) and the link secret
  // (manage and unsubscribe tokens); delivery needs the notify URL and its secrets.
  std::shared_ptr<const security::data_keys> data_keys;
  std::string notify_url;
  std::vector<std::string> notify_keys;  // decoded whsec_ secrets, each adds a signature
  std::string notify_ca_file;
  std::chrono::milliseconds notify_timeout{15'000};
  std::string reminder_thanks_url;
  std::string reminder_error_url;
  std::string give_url;
  // How long before a yearly pledge renews its reader is told (pledges/message_plan.hpp).
  std::chrono::days renewal_notice{14};
  int reminder_local_hour = 9;
  // Checked and read by reminders/time_zone.hpp at start (app/feature_settings.hpp).
  std::string reminder_time_zone = "UTC";
  std::chrono::milliseconds reminder_retention{30LL * 24 * 3'600'000};
  std::size_t reminder_batch = 128;
  std::chrono::milliseconds reminder_lease{60'000};
  std::chrono::milliseconds reminder_poll{250};
  unsigned reminder_signups_per_email_per_hour = 10;

  // Requests per client address per minute across the public POST endpoints; 0 is off.
  unsigned rate_limit_per_minute = 120;
  // Set behind a trusted proxy: where it puts the client's address and country.
  std::string client_ip_header;
  // How many trusted proxies append to client_ip_header: the address is that many entries from
  // its right end.
  unsigned trusted_proxy_hops = 1;
  std::string country_header;
};

enum class parse_outcome { run, help, version, print_stripe_events, print_routes, invalid };

struct parse_result {
  parse_outcome outcome = parse_outcome::invalid;
  settings values;
  // --help text, or one line naming the bad setting.
  std::string message;
  // For the log at start: features with only some of their settings (half_configured_features).
  std::vector<std::string> warnings;
};

// `environment` holds "NAME=VALUE" entries, as in `environ`.
parse_result parse_settings(int argc, const char* const* argv,
                            const std::vector<std::string>& environment);

// "listen-https" -> "SUPPORTD_LISTEN_HTTPS".
std::string environment_name(const std::string& flag);

// A feature and the flags it needs: with some set and others not, it is half-configured (pledges
// are taken but never activate, reminders are kept but never sent). `--help` prints this table.
struct feature_requirement {
  std::string_view feature;
  std::vector<std::string_view> flags;
};
const std::vector<feature_requirement>& feature_requirements();

// One line per feature that has some of its flags set and not all, naming what is missing.
std::vector<std::string> half_configured_features(const std::vector<std::string>& flags_set);

}  // namespace supportd::config

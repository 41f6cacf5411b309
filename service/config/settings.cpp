#include "config/settings.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <fstream>
#include <sstream>
#include <thread>
#include <variant>

#include "common/url.hpp"
#include "config/duration.hpp"
#include "security/data_keys.hpp"
#include "security/webhook_secrets.hpp"

namespace supportd::config {
namespace po = boost::program_options;
namespace {

// Thrown with a message that names the setting; turned into parse_outcome::invalid.
struct invalid_setting {
  std::string message;
};

[[noreturn]] void fail(const std::string& flag, const std::string& why) {
  throw invalid_setting{"--" + flag + ": " + why};
}

po::options_description describe_options() {
  po::options_description options(
      "supportd options (each also SUPPORTD_<NAME> in the environment)");
  // clang-format off
  options.add_options()
    ("help", "print this help and exit")
    ("version", "print the version and exit")
    ("print-stripe-events", "print the Stripe event types supportd consumes, one per line, and "
     "exit (the events to enable on the Stripe webhook endpoint)")
    ("print-routes", "print the routes supportd serves, one per line as TABLE METHOD PATTERN, and "
     "exit (TABLE: public, or ops for those --listen-ops moves to its listener)")
    ("listen-https", po::value<std::string>()->default_value("127.0.0.1:8443"),
     "HOST:PORT to serve HTTPS on; empty disables HTTPS")
    ("listen-http", po::value<std::string>()->default_value(""),
     "HOST:PORT to serve plain HTTP on (behind a TLS-terminating proxy); empty disables it")
    ("listen-ops", po::value<std::string>()->default_value(""),
     "HOST:PORT to serve /metrics, /readyz and /admin/* on (plain HTTP), and no longer on the "
     "public listeners; /healthz is on both. Empty: everything on the public listeners")
    ("tls-cert", po::value<std::string>()->default_value(""),
     "PEM certificate chain file (required when HTTPS is on; re-read on SIGHUP)")
    ("tls-key", po::value<std::string>()->default_value(""),
     "PEM private key file (required when HTTPS is on; re-read on SIGHUP)")
    ("redis-url", po::value<std::string>()->default_value("redis://127.0.0.1:6379/0"),
     "redis://[[user]:password@]host:port[/db], rediss://… (TLS) or unix:///path.sock")
    ("redis-username", po::value<std::string>()->default_value(""),
     "Redis ACL user (instead of putting it in --redis-url)")
    ("redis-password-file", po::value<std::string>()->default_value(""),
     "file holding the Redis password (instead of putting it in --redis-url)")
    ("redis-ca-file", po::value<std::string>()->default_value(""),
     "CA bundle that signs Redis's TLS certificate (rediss://); default: the system's")
    ("redis-cert-file", po::value<std::string>()->default_value(""),
     "client certificate for Redis TLS, when Redis asks for one (PEM)")
    ("redis-key-file", po::value<std::string>()->default_value(""),
     "private key of --redis-cert-file (PEM)")
    ("redis-sentinels", po::value<std::string>()->default_value(""),
     "host:port,… of Redis Sentinels that name the primary (then --redis-url's host is unused)")
    ("redis-master-name", po::value<std::string>()->default_value(""),
     "the primary's name as the sentinels know it")
    ("redis-sentinel-username", po::value<std::string>()->default_value(""),
     "the sentinels' ACL user, if they require one")
    ("redis-sentinel-password-file", po::value<std::string>()->default_value(""),
     "file holding the sentinels' password, if they require one")
    ("redis-wait-replicas", po::value<int>()->default_value(0),
     "replicas that must confirm a write (WAIT) before a pledge, sign-up or webhook is acknowledged")
    ("redis-wait-timeout", po::value<std::string>()->default_value("1s"),
     "how long to wait for them; fewer in time: the request answers 503")
    ("redis-prefix", po::value<std::string>()->default_value("supportd:"),
     "prefix of every Redis key, so deployments can share one Redis")
    ("redis-timeout", po::value<std::string>()->default_value("2s"),
     "deadline of one Redis command")
    ("threads", po::value<unsigned>()->default_value(std::max(1u, std::thread::hardware_concurrency())),
     "worker threads (default: number of cores)")
    ("max-body-bytes", po::value<std::size_t>()->default_value(std::size_t{64} * 1024),
     "largest request body accepted (larger: 413)")
    ("max-header-bytes", po::value<std::size_t>()->default_value(std::size_t{8} * 1024),
     "largest request header block accepted (larger: 431)")
    ("max-connections", po::value<std::size_t>()->default_value(10000),
     "open client connections at most; more are closed at once")
    ("header-timeout", po::value<std::string>()->default_value("10s"),
     "time a client has to send a complete request header")
    ("idle-timeout", po::value<std::string>()->default_value("60s"),
     "time a keep-alive connection may sit idle between requests")
    ("drain-timeout", po::value<std::string>()->default_value("10s"),
     "on SIGTERM/SIGINT, how long in-flight requests get to finish")
    ("admin-token-file", po::value<std::string>()->default_value(""),
     "file holding the bearer token for /admin/* (unset: admin API off)")
    ("log-level", po::value<std::string>()->default_value("info"),
     "debug, info, warn or error")
    ("allowed-origins", po::value<std::string>()->default_value(""),
     "comma-separated origins (https://news.example) allowed to call the browser APIs (CORS) "
     "and to receive readers back (success_url, cancel_url)")
    ("pledge-limits", po::value<std::string>()->default_value(""),
     "CURRENCY:INTERVAL:MIN:MAX in major units, comma-separated, * for any "
     "(default: 2 to 10000 monthly and yearly, 1 to 10000 once)")
    ("report-campaigns", po::value<std::string>()->default_value(""),
     "comma-separated campaigns the report's Prometheus counters name (at most 200); others "
     "count as `other` (GET /admin/report has every campaign)")
    ("stripe-secret-key-file", po::value<std::string>()->default_value(""),
     "file holding the Stripe secret key (sk_… or rk_…); unset: pledges off")
    ("stripe-api-base", po::value<std::string>()->default_value("https://api.stripe.com"),
     "Stripe's API base URL (a local stand-in in tests)")
    ("stripe-ca-file", po::value<std::string>()->default_value(""),
     "extra CA certificate (PEM) to trust for Stripe's API, for tests")
    ("stripe-timeout", po::value<std::string>()->default_value("10s"),
     "deadline of one attempt of a Stripe API call")
    ("stripe-product-name", po::value<std::string>()->default_value("Support"),
     "what the checkout page says the reader pays for")
    ("stripe-payment-method-configuration", po::value<std::string>()->default_value(""),
     "pmc_… id of the payment method configuration Checkout uses; unset: the account's default "
     "(cards, wallets, PayPal, SEPA Direct Debit, ... as enabled in the Stripe Dashboard)")
    ("stripe-payment-methods", po::value<std::string>()->default_value(""),
     "comma-separated payment method types a reader may pick on the site's form (card, paypal, "
     "sepa_debit, ...): the form's payment_method is passed on to Checkout only when listed")
    ("pledge-error-url", po::value<std::string>()->default_value(""),
     "where a plain form post with invalid fields is sent back (303), with ?error=<code>")
    ("link-secret-file", po::value<std::string>()->default_value(""),
     "file holding the key that signs one-click links in emails; unset: such links off")
    ("public-url", po::value<std::string>()->default_value(""),
     "supportd's public base URL (https://support.news.example), for links it hands out")
    ("manage-page-stylesheet", po::value<std::string>()->default_value(""),
     "the site's stylesheet (https URL) for the reader's manage page; unset: a small built-in "
     "style")
    ("stripe-webhook-secret-file", po::value<std::string>()->default_value(""),
     "file with the Stripe webhook signing secrets (whsec_…), one per line; unset: webhooks off")
    ("stripe-webhook-tolerance", po::value<std::string>()->default_value("300s"),
     "how old a webhook's signed timestamp may be")
    ("stripe-livemode", po::value<std::string>()->default_value("auto"),
     "true, false, or auto (live when the Stripe key is sk_live_/rk_live_): events of the "
     "other mode are refused")
    ("webhook-retry-after", po::value<std::string>()->default_value("30s"),
     "a webhook event that failed (or whose worker died) is tried again after this")
    ("webhook-max-attempts", po::value<int>()->default_value(5),
     "attempts before a webhook event goes to the dead letters")
    ("webhook-max-backlog", po::value<std::int64_t>()->default_value(100'000),
     "received webhook events waiting to be processed past which new ones are refused with 503 "
     "(the provider retries); 0 for no bound")
    ("stripe-reconcile-interval", po::value<std::string>()->default_value("1h"),
     "how often Stripe's event list (the last 30 days at most) is compared with the events "
     "applied, and the missing ones applied; 0: only on POST /admin/reconcile/stripe")
    ("data-key-file", po::value<std::string>()->default_value(""),
     "file of KEY_ID:BASE64_OF_32_BYTES lines sealing readers' emails (the first seals, all "
     "open); unset: reminder sign-ups off")
    ("notify-url", po::value<std::string>()->default_value(""),
     "the site's email service: due reminders are POSTed here as Standard Webhooks; unset: "
     "reminders are kept but not delivered")
    ("notify-secret-file", po::value<std::string>()->default_value(""),
     "file with the whsec_… secrets signing deliveries, one per line (each adds a signature)")
    ("notify-ca-file", po::value<std::string>()->default_value(""),
     "extra CA certificate (PEM) trusted for --notify-url")
    ("notify-timeout", po::value<std::string>()->default_value("15s"),
     "how long one delivery may take")
    ("reminder-thanks-url", po::value<std::string>()->default_value(""),
     "where a plain form sign-up is sent after success (303)")
    ("reminder-error-url", po::value<std::string>()->default_value(""),
     "where a plain form sign-up with invalid fields is sent back (303), with ?error=<code>")
    ("give-url", po::value<std::string>()->default_value(""),
     "the reminder's \"give now\" link (attribution is added to its query); default: the first "
     "allowed origin")
    ("renewal-notice-days", po::value<int>()->default_value(14),
     "a yearly pledge's reader is told of its renewal this many days before it (1-60)")
    ("reminder-local-hour", po::value<int>()->default_value(9),
     "a reminder asked for on a date goes out at this hour of the reader's day")
    ("reminder-time-zone", po::value<std::string>()->default_value("UTC"),
     "the zone for dates and recurring reminders when the reader names none")
    ("reminder-retention", po::value<std::string>()->default_value("30d"),
     "how long delivered, unsubscribed and cancelled reminders stay in Redis")
    ("reminder-batch", po::value<std::size_t>()->default_value(128),
     "due reminders each worker claims and sends at once")
    ("reminder-lease", po::value<std::string>()->default_value("60s"),
     "how long a claimed reminder is held before another scheduler may take it over")
    ("reminder-poll", po::value<std::string>()->default_value("250ms"),
     "how often an idle scheduler looks for due reminders")
    ("reminder-signups-per-email-per-hour", po::value<unsigned>()->default_value(10),
     "sign-ups per reader address per hour (counted in Redis, under a keyed hash); 0 is off")
    ("rate-limit-per-minute", po::value<unsigned>()->default_value(120),
     "requests per client address per minute across public POST endpoints; 0 is off")
    ("client-ip-header", po::value<std::string>()->default_value(""),
     "header in which trusted proxies put the client address (all its lines are one list; "
     "see --trusted-proxy-hops)")
    ("trusted-proxy-hops", po::value<unsigned>()->default_value(1),
     "trusted proxies that append to --client-ip-header: the client address is this many "
     "entries from the list's right end")
    ("country-header", po::value<std::string>()->default_value(""),
     "header in which a trusted proxy puts the client's country");
  // clang-format on
  return options;
}

// True when the process belongs to group `gid` (its effective or a supplementary group).
bool in_group(gid_t gid) {
  if (gid == ::getegid()) {
    return true;
  }
  std::vector<gid_t> groups(static_cast<std::size_t>(std::max(0, ::getgroups(0, nullptr))));
  auto n = ::getgroups(static_cast<int>(groups.size()), groups.data());
  return std::find(groups.begin(), groups.begin() + std::max(0, n), gid) != groups.end();
}

// A secret file only supportd may read. Group read is allowed only where it is how supportd
// itself reads the file: owned by another user (root) and shared with supportd's group, as
// Kubernetes mounts secrets with fsGroup and defaultMode 0440. Anything for others, or group
// access to a file supportd owns, is refused before the secret is used.
void check_secret_file_mode(const std::string& flag, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fail(flag, "cannot read " + path);
  }
  const auto group_bits = st.st_mode & S_IRWXG;
  const bool group_is_ours =
      group_bits == S_IRGRP && st.st_uid != ::geteuid() && in_group(st.st_gid);
  if ((st.st_mode & S_IRWXO) != 0 || (group_bits != 0 && !group_is_ours)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    fail(flag, path + " is open to group or others (mode " + mode + "); run: chmod 600 " + path);
  }
}

std::string read_secret_file(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail(flag, "cannot read " + path);
  }
  check_secret_file_mode(flag, path);
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    fail(flag, path + " is empty");
  }
  return secret;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    while (!item.empty() && item.front() == ' ') {
      item.erase(0, 1);
    }
    while (!item.empty() && item.back() == ' ') {
      item.pop_back();
    }
    if (!item.empty()) {
      items.push_back(item);
    }
  }
  return items;
}

// Stripe's ids and type names: letters, digits and underscores.
bool is_identifier(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::optional<common::host_port> listen_address(const po::variables_map& vm,
                                                const std::string& flag) {
  const auto& text = vm[flag].as<std::string>();
  if (text.empty()) {
    return std::nullopt;
  }
  auto address = common::parse_host_port(text);
  if (!address) {
    fail(flag, "expected HOST:PORT, got \"" + text + "\"");
  }
  return address;
}

std::chrono::milliseconds duration_setting(const po::variables_map& vm, const std::string& flag) {
  const auto& text = vm[flag].as<std::string>();
  auto value = parse_duration(text);
  if (!value || value->count() == 0) {
    fail(flag, "expected a positive duration such as 500ms, 10s or 5m, got \"" + text + "\"");
  }
  return *value;
}

void read_reminder_settings(const po::variables_map& vm, settings& s) {
  if (const auto& path = vm["data-key-file"].as<std::string>(); !path.empty()) {
    auto keys = security::data_keys::parse(read_secret_file("data-key-file", path));
    if (auto* why = std::get_if<std::string>(&keys)) {
      fail("data-key-file", *why);
    }
    s.data_keys =
        std::make_shared<const security::data_keys>(std::move(std::get<security::data_keys>(keys)));
    if (s.link_secret.empty()) {
      fail("link-secret-file", "reminders (--data-key-file) need it for their links and tokens");
    }
  }
  s.notify_url = vm["notify-url"].as<std::string>();
  if (!s.notify_url.empty() && !common::origin_of(s.notify_url)) {
    fail("notify-url", "expected an http(s) URL");
  }
  if (!common::plain_http_allowed(s.notify_url)) {
    fail("notify-url",
         "plain http is only for loopback hosts (127.0.0.1, ::1, localhost); use https");
  }
  if (const auto& path = vm["notify-secret-file"].as<std::string>(); !path.empty()) {
    auto keys = security::parse_secret_file(read_secret_file("notify-secret-file", path));
    if (auto* why = std::get_if<std::string>(&keys)) {
      fail("notify-secret-file", *why);
    }
    s.notify_keys = std::move(std::get<std::vector<std::string>>(keys));
  }
  if (!s.notify_url.empty() && s.public_url.empty()) {
    fail("public-url", "required with --notify-url: reminder emails carry unsubscribe links");
  }
  if (!s.notify_url.empty() && s.notify_keys.empty()) {
    fail("notify-secret-file", "required with --notify-url: deliveries are always signed");
  }
  s.notify_ca_file = vm["notify-ca-file"].as<std::string>();
  if (!s.notify_ca_file.empty() && !std::ifstream(s.notify_ca_file)) {
    fail("notify-ca-file", "cannot read " + s.notify_ca_file);
  }
  s.notify_timeout = duration_setting(vm, "notify-timeout");
  for (auto [flag, slot] : {std::pair{"reminder-thanks-url", &s.reminder_thanks_url},
                            std::pair{"reminder-error-url", &s.reminder_error_url},
                            std::pair{"give-url", &s.give_url}}) {
    *slot = vm[flag].as<std::string>();
    if (!slot->empty() && !common::origin_of(*slot)) {
      fail(flag, "expected an http(s) URL");
    }
  }
  if (s.give_url.empty() && !s.allowed_origins.empty()) {
    s.give_url = s.allowed_origins.front() + "/";
  }
  if (auto days = vm["renewal-notice-days"].as<int>(); days < 1 || days > 60) {
    fail("renewal-notice-days", "must be from 1 to 60");
  } else {
    s.renewal_notice = std::chrono::days(days);
  }
  s.reminder_local_hour = vm["reminder-local-hour"].as<int>();
  if (s.reminder_local_hour < 0 || s.reminder_local_hour > 23) {
    fail("reminder-local-hour", "must be from 0 to 23");
  }
  s.reminder_time_zone = vm["reminder-time-zone"].as<std::string>();
  s.reminder_retention = duration_setting(vm, "reminder-retention");
  s.reminder_batch = vm["reminder-batch"].as<std::size_t>();
  if (s.reminder_batch < 1 || s.reminder_batch > 1000) {
    fail("reminder-batch", "must be from 1 to 1000");
  }
  s.reminder_lease = duration_setting(vm, "reminder-lease");
  if (s.reminder_lease <= s.notify_timeout) {
    fail("reminder-lease",
         "must be longer than --notify-timeout, or a slow delivery is sent twice");
  }
  s.reminder_poll = duration_setting(vm, "reminder-poll");
  s.reminder_signups_per_email_per_hour = vm["reminder-signups-per-email-per-hour"].as<unsigned>();
}

// Listeners and their TLS certificate.
void read_listen_settings(const po::variables_map& vm, settings& s) {
  s.listen_https = listen_address(vm, "listen-https");
  s.listen_http = listen_address(vm, "listen-http");
  s.listen_ops = listen_address(vm, "listen-ops");
  if (!s.listen_https && !s.listen_http) {
    fail("listen-https", "both --listen-https and --listen-http are empty: nothing to serve");
  }
  s.tls_cert_file = vm["tls-cert"].as<std::string>();
  s.tls_key_file = vm["tls-key"].as<std::string>();
  if (s.listen_https && s.tls_cert_file.empty()) {
    fail("tls-cert", "required when --listen-https is set");
  }
  if (s.listen_https && s.tls_key_file.empty()) {
    fail("tls-key", "required when --listen-https is set");
  }
}

// Redis, as text: redis/redis_settings.hpp reads it (app/feature_settings.hpp).
void read_redis_texts(const po::variables_map& vm, settings& s) {
  s.redis_url = vm["redis-url"].as<std::string>();
  s.redis_username = vm["redis-username"].as<std::string>();
  if (const auto& path = vm["redis-password-file"].as<std::string>(); !path.empty()) {
    s.redis_password = read_secret_file("redis-password-file", path);
  }
  s.redis_ca_file = vm["redis-ca-file"].as<std::string>();
  s.redis_cert_file = vm["redis-cert-file"].as<std::string>();
  s.redis_key_file = vm["redis-key-file"].as<std::string>();
  s.redis_sentinels = vm["redis-sentinels"].as<std::string>();
  s.redis_master_name = vm["redis-master-name"].as<std::string>();
  s.redis_sentinel_username = vm["redis-sentinel-username"].as<std::string>();
  if (const auto& path = vm["redis-sentinel-password-file"].as<std::string>(); !path.empty()) {
    s.redis_sentinel_password = read_secret_file("redis-sentinel-password-file", path);
  }
  s.redis_wait_replicas = vm["redis-wait-replicas"].as<int>();
  s.redis_wait_timeout = duration_setting(vm, "redis-wait-timeout");
  s.redis_prefix = vm["redis-prefix"].as<std::string>();
  s.redis_timeout = duration_setting(vm, "redis-timeout");
}

// Threads, limits and timeouts of the HTTP server; the admin token; logging.
void read_server_settings(const po::variables_map& vm, settings& s) {
  s.threads = vm["threads"].as<unsigned>();
  if (s.threads == 0 || s.threads > 256) {
    fail("threads", "must be from 1 to 256");
  }
  s.max_body_bytes = vm["max-body-bytes"].as<std::size_t>();
  s.max_header_bytes = vm["max-header-bytes"].as<std::size_t>();
  s.max_connections = vm["max-connections"].as<std::size_t>();
  if (s.max_body_bytes == 0 || s.max_body_bytes > (std::size_t{1} << 30)) {
    fail("max-body-bytes", "must be from 1 to 1073741824");
  }
  if (s.max_header_bytes < 512 || s.max_header_bytes > (std::size_t{1} << 20)) {
    fail("max-header-bytes", "must be from 512 to 1048576");
  }
  if (s.max_connections == 0) {
    fail("max-connections", "must be at least 1");
  }
  s.header_timeout = duration_setting(vm, "header-timeout");
  s.idle_timeout = duration_setting(vm, "idle-timeout");
  s.drain_timeout = duration_setting(vm, "drain-timeout");

  if (const auto& path = vm["admin-token-file"].as<std::string>(); !path.empty()) {
    s.admin_token = read_secret_file("admin-token-file", path);
    if (s.admin_token.size() < 16) {
      fail("admin-token-file", "the token must be at least 16 characters");
    }
  }
  auto level = log::parse_level(vm["log-level"].as<std::string>());
  if (!level) {
    fail("log-level", "expected debug, info, warn or error");
  }
  s.log_level = *level;
}

// Pledges and the Stripe API; origins, links and the public URL they share.
void read_pledge_settings(const po::variables_map& vm, settings& s) {
  for (const auto& origin : split_list(vm["allowed-origins"].as<std::string>())) {
    if (common::origin_of(origin) != origin) {
      fail("allowed-origins",
           "\"" + origin + "\" is not an origin (scheme://host[:port], lower case)");
    }
    s.allowed_origins.push_back(origin);
  }
  s.pledge_limits = vm["pledge-limits"].as<std::string>();
  s.report_campaigns = vm["report-campaigns"].as<std::string>();
  if (const auto& path = vm["stripe-secret-key-file"].as<std::string>(); !path.empty()) {
    s.stripe_secret_key = read_secret_file("stripe-secret-key-file", path);
    if (!s.stripe_secret_key.starts_with("sk_") && !s.stripe_secret_key.starts_with("rk_")) {
      fail("stripe-secret-key-file", "the key must start with sk_ or rk_");
    }
  }
  s.stripe_api_base = vm["stripe-api-base"].as<std::string>();
  if (auto origin = common::origin_of(s.stripe_api_base);
      !origin || s.stripe_api_base.size() > origin->size() + 1) {
    fail("stripe-api-base", "expected a base URL such as https://api.stripe.com");
  }
  if (!common::plain_http_allowed(s.stripe_api_base)) {
    fail("stripe-api-base",
         "plain http is only for loopback hosts (127.0.0.1, ::1, localhost); use https");
  }
  s.stripe_ca_file = vm["stripe-ca-file"].as<std::string>();
  if (!s.stripe_ca_file.empty() && !std::ifstream(s.stripe_ca_file)) {
    fail("stripe-ca-file", "cannot read " + s.stripe_ca_file);
  }
  s.stripe_product_name = vm["stripe-product-name"].as<std::string>();
  s.stripe_timeout = duration_setting(vm, "stripe-timeout");
  s.stripe_payment_method_configuration =
      vm["stripe-payment-method-configuration"].as<std::string>();
  if (!s.stripe_payment_method_configuration.empty() &&
      (!s.stripe_payment_method_configuration.starts_with("pmc_") ||
       !is_identifier(s.stripe_payment_method_configuration))) {
    fail("stripe-payment-method-configuration", "expected a pmc_… id");
  }
  for (const auto& method : split_list(vm["stripe-payment-methods"].as<std::string>())) {
    if (!is_identifier(method)) {
      fail("stripe-payment-methods", "\"" + method + "\" is not a payment method type");
    }
    s.stripe_payment_methods.push_back(method);
  }
  s.pledge_error_url = vm["pledge-error-url"].as<std::string>();
  if (!s.pledge_error_url.empty() && !common::origin_of(s.pledge_error_url)) {
    fail("pledge-error-url", "expected an http(s) URL");
  }
  if (const auto& path = vm["link-secret-file"].as<std::string>(); !path.empty()) {
    s.link_secret = read_secret_file("link-secret-file", path);
    if (s.link_secret.size() < 32) {
      fail("link-secret-file", "the key must be at least 32 characters");
    }
  }
  s.public_url = vm["public-url"].as<std::string>();
  while (s.public_url.ends_with('/')) {
    s.public_url.pop_back();
  }
  if (!s.public_url.empty() && !common::origin_of(s.public_url)) {
    fail("public-url", "expected an http(s) URL");
  }
  s.manage_page_stylesheet = vm["manage-page-stylesheet"].as<std::string>();
  if (const auto& url = s.manage_page_stylesheet; !url.empty()) {
    // Its origin goes into the page's Content-Security-Policy: a host of letters, digits, dots
    // and dashes only (or an IP literal), so it cannot end the policy's source list.
    const auto origin = common::origin_of(url);
    if (!origin || origin->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:/[]") !=
                       std::string::npos) {
      fail("manage-page-stylesheet", "expected an http(s) URL");
    }
    if (!common::plain_http_allowed(url)) {
      fail("manage-page-stylesheet",
           "plain http is only for loopback hosts (127.0.0.1, ::1, localhost); use https");
    }
  }
}

// Stripe webhooks and the reconciliation with its event list.
void read_webhook_settings(const po::variables_map& vm, settings& s) {
  if (const auto& path = vm["stripe-webhook-secret-file"].as<std::string>(); !path.empty()) {
    std::istringstream lines(read_secret_file("stripe-webhook-secret-file", path));
    for (std::string line; std::getline(lines, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.pop_back();
      }
      if (!line.empty()) {
        if (!line.starts_with("whsec_")) {
          fail("stripe-webhook-secret-file", "every line must be a whsec_… secret");
        }
        s.stripe_webhook_secrets.push_back(line);
      }
    }
  }
  s.stripe_webhook_tolerance = duration_setting(vm, "stripe-webhook-tolerance");
  const auto& livemode = vm["stripe-livemode"].as<std::string>();
  if (livemode == "auto") {
    s.stripe_livemode =
        s.stripe_secret_key.starts_with("sk_live_") || s.stripe_secret_key.starts_with("rk_live_");
  } else if (livemode == "true" || livemode == "false") {
    s.stripe_livemode = livemode == "true";
  } else {
    fail("stripe-livemode", "expected true, false or auto");
  }
  s.webhook_retry_after = duration_setting(vm, "webhook-retry-after");
  s.webhook_max_attempts = vm["webhook-max-attempts"].as<int>();
  if (s.webhook_max_attempts < 1 || s.webhook_max_attempts > 100) {
    fail("webhook-max-attempts", "must be from 1 to 100");
  }
  s.webhook_max_backlog = vm["webhook-max-backlog"].as<std::int64_t>();
  if (s.webhook_max_backlog < 0) {
    fail("webhook-max-backlog", "must be 0 (no bound) or more");
  }
  {
    const auto& text = vm["stripe-reconcile-interval"].as<std::string>();
    auto every = parse_duration(text);
    if (!every) {
      fail("stripe-reconcile-interval",
           "expected a duration such as 30m or 1h, or 0 for none, got \"" + text + "\"");
    }
    s.stripe_reconcile_interval = *every;
  }
}

// Rate limits and what a trusted proxy says of the client.
void read_proxy_settings(const po::variables_map& vm, settings& s) {
  s.rate_limit_per_minute = vm["rate-limit-per-minute"].as<unsigned>();
  s.client_ip_header = vm["client-ip-header"].as<std::string>();
  s.trusted_proxy_hops = vm["trusted-proxy-hops"].as<unsigned>();
  if (s.trusted_proxy_hops < 1 || s.trusted_proxy_hops > 16) {
    fail("trusted-proxy-hops", "must be from 1 to 16");
  }
  s.country_header = vm["country-header"].as<std::string>();
}

settings build_settings(const po::variables_map& vm) {
  settings s;
  read_listen_settings(vm, s);
  read_redis_texts(vm, s);
  read_server_settings(vm, s);
  read_pledge_settings(vm, s);
  read_webhook_settings(vm, s);
  read_reminder_settings(vm, s);
  read_proxy_settings(vm, s);
  return s;
}

}  // namespace

std::string environment_name(const std::string& flag) {
  std::string name = "SUPPORTD_";
  for (char c : flag) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

const std::vector<feature_requirement>& feature_requirements() {
  static const std::vector<feature_requirement> table = {
      // Webhooks are how a pledge learns it was paid; the origins check the form's return URLs;
      // a plain form post with invalid fields is sent back to the error page.
      {"pledges",
       {"stripe-secret-key-file", "stripe-webhook-secret-file", "allowed-origins",
        "pledge-error-url"}},
      // Addresses are sealed with the data keys; links are signed with the link secret; the email
      // service gets signed deliveries carrying links back to the public URL; plain form posts
      // are sent on to the thanks or error page.
      {"reminders",
       {"data-key-file", "link-secret-file", "notify-url", "notify-secret-file", "public-url",
        "reminder-thanks-url", "reminder-error-url"}},
      {"admin", {"admin-token-file"}},
      // The report's Prometheus counters name the listed campaigns (GET /admin/report is an admin
      // route: it needs the admin feature too).
      {"report", {"report-campaigns"}},
      // The sentinels are asked for the primary by its name.
      {"Redis Sentinel settings", {"redis-sentinels", "redis-master-name"}},
      {"Redis TLS client certificates", {"redis-cert-file", "redis-key-file"}},
  };
  return table;
}

std::vector<std::string> half_configured_features(const std::vector<std::string>& flags_set) {
  std::vector<std::string> lines;
  for (const auto& [feature, flags] : feature_requirements()) {
    std::string missing;
    bool any = false;
    for (auto flag : flags) {
      if (std::find(flags_set.begin(), flags_set.end(), flag) != flags_set.end()) {
        any = true;
      } else {
        missing += (missing.empty() ? "--" : ", --") + std::string(flag);
      }
    }
    if (any && !missing.empty()) {
      lines.push_back(std::string(feature) + " are half-configured: " + missing + " not set");
    }
  }
  return lines;
}

namespace {

// program_options refuses "--flag=" with an empty value, but an empty value is how a listener
// is turned off: pass such a value as its own (empty) token instead.
void add_argument(std::vector<std::string>& args, const std::string& arg) {
  if (arg.starts_with("--") && arg.ends_with('=') && arg.find('=') == arg.size() - 1) {
    args.push_back(arg.substr(0, arg.size() - 1));
    args.emplace_back();
  } else {
    args.push_back(arg);
  }
}

}  // namespace

parse_result parse_settings(int argc, const char* const* argv,
                            const std::vector<std::string>& environment) {
  parse_result result;
  auto options = describe_options();
  po::variables_map vm;
  try {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
      add_argument(args, argv[i]);
    }
    po::store(po::command_line_parser(args).options(options).run(), vm);

    // The environment fills in what the command line left unset (po::store keeps the values it
    // already has, except defaults).
    std::vector<std::string> from_environment;
    for (const auto& option : options.options()) {
      const auto& flag = option->long_name();
      if (flag == "help" || flag == "version" || (vm.count(flag) && !vm[flag].defaulted())) {
        continue;
      }
      auto prefix = environment_name(flag) + "=";
      for (const auto& entry : environment) {
        if (entry.starts_with(prefix)) {
          add_argument(from_environment, "--" + flag + "=" + entry.substr(prefix.size()));
        }
      }
    }
    if (!from_environment.empty()) {
      po::store(po::command_line_parser(from_environment).options(options).run(), vm);
    }
    po::notify(vm);

    if (vm.count("help")) {
      std::ostringstream help;
      help << "supportd: reader donations and reminders over HTTPS, with Redis as its store.\n\n"
           << options << "\n"
           << "Features and the settings each needs (with only some set, supportd warns at "
              "start):\n";
      for (const auto& [feature, flags] : feature_requirements()) {
        help << "  " << feature << ":";
        for (auto flag : flags) {
          help << " --" << flag;
        }
        help << "\n";
      }
      result.outcome = parse_outcome::help;
      result.message = help.str();
      return result;
    }
    if (vm.count("version")) {
      result.outcome = parse_outcome::version;
      return result;
    }
    if (vm.count("print-stripe-events")) {
      result.outcome = parse_outcome::print_stripe_events;
      return result;
    }
    if (vm.count("print-routes")) {
      result.outcome = parse_outcome::print_routes;
      return result;
    }
    result.values = build_settings(vm);
    std::vector<std::string> flags_set;
    for (const auto& option : options.options()) {
      const auto& flag = option->long_name();
      if (vm.count(flag) && !vm[flag].defaulted() && !vm[flag].empty()) {
        const auto* text = boost::any_cast<std::string>(&vm[flag].value());
        if (text == nullptr || !text->empty()) {
          flags_set.push_back(flag);
        }
      }
    }
    result.warnings = half_configured_features(flags_set);
    result.outcome = parse_outcome::run;
  } catch (const invalid_setting& e) {
    result.message = e.message;
  } catch (const po::error_with_option_name& e) {
    // Boost names the option itself in what(); values are not echoed for secret safety.
    result.message = e.what();
  } catch (const po::error& e) {
    result.message = e.what();
  }
  return result;
}

}  // namespace supportd::config

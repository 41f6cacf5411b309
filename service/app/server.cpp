#include "app/server.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "app/pledges_on_erasure.hpp"
#include "app/reminders_on_payment.hpp"
#include "core/clock.hpp"
#include "core/jitter.hpp"
#include "core/pause.hpp"
#include "core/use_tuple.hpp"
#include "http/admin_access.hpp"
#include "http/connection_tracker.hpp"
#include "http/router.hpp"
#include "http/server_metrics.hpp"
#include "http/session.hpp"
#include "limits/public_gate.hpp"
#include "log/logger.hpp"
#include "metrics/registry.hpp"
#include "notify/outbox_sender.hpp"
#include "notify/outbox_store.hpp"
#include "notify/webhook_sender.hpp"
#include "ops/ops_context.hpp"
#include "ops/ops_routes.hpp"
#include "ops/process_metrics.hpp"
#include "pledges/pledge_context.hpp"
#include "pledges/pledge_links.hpp"
#include "pledges/pledge_messenger.hpp"
#include "pledges/pledge_metrics.hpp"
#include "pledges/pledge_routes.hpp"
#include "pledges/pledge_store.hpp"
#include "providers/circuit_breaker.hpp"
#include "providers/provider_metrics.hpp"
#include "providers/stripe/stripe_client.hpp"
#include "reconcile/reconcile_context.hpp"
#include "reconcile/reconcile_metrics.hpp"
#include "reconcile/reconcile_routes.hpp"
#include "reconcile/stripe_reconciler.hpp"
#include "redis/client_metrics.hpp"
#include "redis/connection.hpp"
#include "redis/link.hpp"
#include "redis/replica_wait.hpp"
#include "reminders/reminder_book.hpp"
#include "reminders/reminder_context.hpp"
#include "reminders/reminder_metrics.hpp"
#include "reminders/reminder_routes.hpp"
#include "reminders/reminder_scheduler.hpp"
#include "reminders/reminder_signup.hpp"
#include "reminders/reminder_store.hpp"
#include "reports/report_routes.hpp"
#include "security/data_keys.hpp"
#include "webhooks/event_processor.hpp"
#include "webhooks/webhook_context.hpp"
#include "webhooks/webhook_metrics.hpp"
#include "webhooks/webhook_routes.hpp"

namespace supportd::app {
using tcp = net::ip::tcp;

namespace {

std::string describe(const tcp::endpoint& endpoint) {
  auto address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) {
    address = "[" + address + "]";
  }
  return address + ":" + std::to_string(endpoint.port());
}

}  // namespace

struct worker {
  // Declared before the io_context: sessions still suspended when it is destroyed unregister
  // from the tracker as their frames go.
  http::connection_tracker tracker;
  std::unique_ptr<redis::connection> redis;
  std::unique_ptr<redis::replica_wait> replication;
  std::unique_ptr<providers::stripe::stripe_client> stripe;
  std::unique_ptr<webhooks::event_processor> processor;
  std::unique_ptr<reconcile::stripe_reconciler> reconciler;
  std::unique_ptr<reminders::reminder_store> reminder_store;
  std::unique_ptr<reminders::reminder_book> reminder_book;
  std::unique_ptr<reminders::reminder_signup> reminder_signup;
  std::unique_ptr<notify::webhook_sender> notify;
  std::unique_ptr<reminders::reminder_scheduler> scheduler;
  // The reader's pledge messages, delivered through `notify` as reminders are.
  std::unique_ptr<notify::outbox_store> outbox;
  std::unique_ptr<pledges::pledge_store> message_pledges;
  std::unique_ptr<pledges::pledge_messenger> messenger;
  std::unique_ptr<notify::outbox_sender> outbox_sender;
  std::optional<limits::public_gate> gate;
  // What each feature's routes use on this thread.
  std::optional<pledges::pledge_context> pledges;
  std::optional<reminders::reminder_context> reminders;
  std::optional<webhooks::webhook_context> webhooks;
  std::optional<reconcile::reconcile_context> reconcile;
  std::optional<ops::ops_context> ops;
  std::optional<reports::report_context> report;
  // The route tables this worker's sessions answer from, bound to the contexts above: the
  // public listeners' (every route when there is no ops listener) and the ops listener's.
  std::optional<http::router> routes;
  std::optional<http::router> ops_routes;
  net::io_context io{1};
  std::thread thread;

  ~worker() {
    // Their sockets and timers belong to the io_context: they go first.
    outbox_sender.reset();
    scheduler.reset();
    notify.reset();
    reconciler.reset();
    processor.reset();
    stripe.reset();
    replication.reset();
    redis.reset();
  }
};

// Makes each route's handler from the function and the worker's context it is bound to: for one
// worker's table (bound_to_worker), or none when only the methods and patterns are wanted
// (served_routes, for --print-routes). So the tables below are the only list of routes there is.
template <class Context>
using route_function = awaitable<http::response> (*)(const http::request&, Context&);
template <class Context>
using worker_context = std::optional<Context> worker::*;

struct bound_to_worker {
  worker& w;
  template <class Context>
  http::handler operator()(route_function<Context> f, worker_context<Context> context) const {
    return http::bind_to(f, *(w.*context));
  }
};

struct unbound {
  template <class Context>
  http::handler operator()(route_function<Context>, worker_context<Context>) const {
    return {};
  }
};

// Every route supportd serves to readers, their browsers and the payment provider, top to bottom.
template <class Bind>
std::vector<http::route> public_routes(const Bind& bind) {
  return {
      {"GET", "/healthz", bind(&ops::healthz, &worker::ops)},
      {"POST", "/v1/pledges", bind(&pledges::create_pledge, &worker::pledges)},
      {"OPTIONS", "/v1/pledges", bind(&pledges::pledge_preflight, &worker::pledges)},
      {"GET", "/v1/pledges/{id}", bind(&pledges::get_pledge, &worker::pledges)},
      {"POST", "/v1/pledges/{id}/cancel", bind(&pledges::cancel_pledge, &worker::pledges)},
      {"GET", "/v1/pledges/{id}/cancel", bind(&pledges::cancel_page, &worker::pledges)},
      {"GET", "/v1/pledges/{id}/manage", bind(&pledges::manage_page, &worker::pledges)},
      {"POST", "/v1/pledges/{id}/amount", bind(&pledges::change_amount, &worker::pledges)},
      {"POST", "/v1/pledges/{id}/pause", bind(&pledges::pause_pledge, &worker::pledges)},
      {"POST", "/v1/pledges/{id}/resume", bind(&pledges::resume_pledge, &worker::pledges)},
      {"POST", "/v1/pledges/{id}/payment-method",
       bind(&pledges::update_payment_method, &worker::pledges)},
      {"GET", "/v1/pledges/{id}/payment-method",
       bind(&pledges::payment_method_page, &worker::pledges)},
      {"POST", "/v1/reminders", bind(&reminders::create_reminder, &worker::reminders)},
      {"OPTIONS", "/v1/reminders", bind(&reminders::reminder_preflight, &worker::reminders)},
      {"POST", "/v1/reminders/unsubscribe", bind(&reminders::unsubscribe, &worker::reminders)},
      {"GET", "/v1/reminders/unsubscribe", bind(&reminders::unsubscribe_page, &worker::reminders)},
      {"GET", "/v1/reminders/{id}", bind(&reminders::get_reminder, &worker::reminders)},
      {"DELETE", "/v1/reminders/{id}", bind(&reminders::delete_reminder, &worker::reminders)},
      {"POST", "/v1/webhooks/stripe", bind(&webhooks::receive_stripe, &worker::webhooks)},
  };
}

// Every route for orchestrators, Prometheus and ops people. With --listen-ops they are served
// there only, so neither readers nor anyone on the internet can reach them.
template <class Bind>
std::vector<http::route> ops_routes(const Bind& bind) {
  return {
      {"GET", "/healthz", bind(&ops::healthz, &worker::ops)},
      {"GET", "/readyz", bind(&ops::readyz, &worker::ops)},
      {"GET", "/metrics", bind(&ops::metrics, &worker::ops)},
      {"GET", "/admin/dead-letters", bind(&webhooks::list_dead_letters, &worker::webhooks)},
      {"POST", "/admin/dead-letters/{id}/replay",
       bind(&webhooks::replay_dead_letter, &worker::webhooks)},
      {"POST", "/admin/erasure", bind(&reminders::erase_reader, &worker::reminders)},
      {"GET", "/admin/reminders/dead-letters",
       bind(&reminders::list_dead_reminders, &worker::reminders)},
      {"POST", "/admin/reminders/reseal", bind(&reminders::reseal_reminders, &worker::reminders)},
      {"POST", "/admin/reminders/dead-letters/{id}/replay",
       bind(&reminders::replay_dead_reminder, &worker::reminders)},
      {"GET", "/admin/messages/dead-letters", bind(&pledges::list_dead_messages, &worker::pledges)},
      {"POST", "/admin/messages/dead-letters/{id}/replay",
       bind(&pledges::replay_dead_message, &worker::pledges)},
      {"GET", "/admin/summary", bind(&ops::admin_summary, &worker::ops)},
      {"GET", "/admin/report", bind(&reports::admin_report, &worker::report)},
      {"POST", "/admin/reconcile", bind(&ops::admin_reconcile, &worker::ops)},
      {"POST", "/admin/reconcile/stripe",
       bind(&reconcile::start_stripe_reconcile, &worker::reconcile)},
      {"GET", "/admin/reconcile/stripe",
       bind(&reconcile::stripe_reconcile_status, &worker::reconcile)},
  };
}

// Without an ops listener, the public listeners serve both tables (/healthz once).
template <class Bind>
std::vector<http::route> all_routes(const Bind& bind) {
  auto routes = public_routes(bind);
  for (auto& r : ops_routes(bind)) {
    if (r.pattern != "/healthz") {
      routes.push_back(std::move(r));
    }
  }
  return routes;
}

std::vector<served_route> served_routes() {
  std::vector<served_route> listed;
  for (const auto& r : public_routes(unbound{})) {
    listed.push_back({"public", r.method, r.pattern});
  }
  for (const auto& r : ops_routes(unbound{})) {
    listed.push_back({"ops", r.method, r.pattern});
  }
  return listed;
}

struct listener {
  enum class kind { https, http, ops };
  tcp::acceptor acceptor;
  kind what;
};

struct server::state final : ops::instance_status {
  config::settings settings;
  feature_settings features;
  std::optional<http::tls_context_store> tls;
  metrics::registry registry;
  http::server_metrics http_metrics = http::server_metrics::create(registry);
  redis::client_metrics redis_metrics = redis::client_metrics::create(registry);
  redis::replica_wait_metrics replica_wait_metrics = redis::replica_wait_metrics::create(registry);
  pledges::pledge_metrics pledge_metrics = pledges::pledge_metrics::create(registry);
  providers::provider_metrics provider_metrics = providers::provider_metrics::create(registry);
  // Shared by every worker's Stripe client: five failed calls in a row open it for 30 s.
  providers::circuit_breaker stripe_breaker{5, std::chrono::seconds(30)};
  providers::stripe::client_settings stripe_settings;
  webhooks::webhook_metrics webhook_metrics = webhooks::webhook_metrics::create(registry);
  reminders::reminder_metrics reminder_metrics = reminders::reminder_metrics::create(registry);
  notify::outbox_metrics message_metrics = notify::outbox_metrics::create(registry);
  reconcile::reconcile_metrics reconcile_metrics = reconcile::reconcile_metrics::create(registry);
  // Made once the campaigns are read (server's constructor).
  std::optional<reports::report_metrics> report_metrics;
  // The links the reader's pledge messages carry; immutable, shared by every worker.
  std::optional<pledges::pledge_links> message_links;
  http::session_settings session;
  http::session_settings ops_session;
  std::atomic<bool> shutting_down{false};
  std::vector<std::unique_ptr<worker>> workers;
  std::vector<std::unique_ptr<listener>> listeners;
  std::optional<net::signal_set> signals;
  std::size_t next_worker = 0;

  worker& first() { return *workers.front(); }

  bool draining() const override { return shutting_down.load(std::memory_order_relaxed); }
  bool redis_ready() const override {
    return std::all_of(workers.begin(), workers.end(),
                       [](const auto& w) { return w->redis->ready(); });
  }

  // What every worker's connections are made from.
  struct worker_parts {
    const redis::connection::options& redis;
    std::shared_ptr<net::ssl::context> stripe_tls;  // null: no Stripe key
    std::shared_ptr<net::ssl::context> notify_tls;  // null: reminders are not delivered
    bool deliver_reminders = false;
  };

  // Worker `index`'s connections, feature contexts, background tasks and route table.
  std::unique_ptr<worker> make_worker(unsigned index, const worker_parts& parts) {
    auto owned = std::make_unique<worker>();
    auto& w = *owned;
    w.redis = std::make_unique<redis::connection>(w.io, parts.redis, &redis_metrics);
    w.replication = std::make_unique<redis::replica_wait>(
        *w.redis,
        redis::replica_wait::options{.replicas = features.redis.wait_replicas,
                                     .timeout = features.redis.wait_timeout,
                                     .reply_margin = settings.redis_timeout,
                                     .fence_key = settings.redis_prefix + "replication:fence"},
        &replica_wait_metrics);
    if (parts.stripe_tls) {
      w.stripe = std::make_unique<providers::stripe::stripe_client>(
          w.io, stripe_settings, parts.stripe_tls, stripe_breaker, provider_metrics);
    }
    w.gate.emplace(*w.redis, limits::public_gate_settings{
                                 .allowed_origins = settings.allowed_origins,
                                 .rate_limit_per_minute = settings.rate_limit_per_minute,
                                 .redis_prefix = settings.redis_prefix,
                                 .client_ip_header = settings.client_ip_header,
                                 .trusted_proxy_hops = settings.trusted_proxy_hops,
                             });
    w.pledges.emplace(settings, *w.redis, *w.replication, *w.gate, w.stripe.get(), pledge_metrics,
                      features.pledge_limits);
    w.webhooks.emplace(
        webhooks::webhook_context{settings, *w.redis, *w.replication, webhook_metrics});
    // The reconciler, when there is one, is set once it exists (add_webhooks).
    w.reconcile.emplace(reconcile::reconcile_context{settings, *w.redis, nullptr});
    w.ops.emplace(ops::ops_context{settings, *w.redis, registry, *this, pledge_metrics});
    w.report.emplace(reports::report_context{settings, *w.redis});
    add_reminders(w, index, parts);
    add_webhooks(w, index);
    const bound_to_worker on_this_worker{w};
    if (settings.listen_ops) {
      w.routes.emplace(public_routes(on_this_worker));
      w.ops_routes.emplace(ops_routes(on_this_worker));
    } else {
      w.routes.emplace(all_routes(on_this_worker));
    }
    return owned;
  }

  // The reminder store on every worker; the book and sign-ups with data keys; delivery with a
  // notify URL.
  void add_reminders(worker& w, unsigned index, const worker_parts& parts) {
    // The book also serves the webhook processor: a paid pledge cancels reminders even where
    // none are delivered. Without data keys reminders are off, but the store still answers the
    // admin's dead-letter list.
    w.reminder_store = std::make_unique<reminders::reminder_store>(*w.redis, settings.redis_prefix,
                                                                   &*report_metrics);
    if (settings.data_keys) {
      w.reminder_book = std::make_unique<reminders::reminder_book>(
          *w.reminder_store, *settings.data_keys, settings.link_secret,
          settings.reminder_retention);
      w.reminder_signup = std::make_unique<reminders::reminder_signup>(
          *w.reminder_book, *w.redis, settings.redis_prefix,
          settings.reminder_signups_per_email_per_hour, *w.replication);
    }
    w.reminders.emplace(reminders::reminder_context{
        settings, *w.gate, reminder_metrics, *w.reminder_store, w.reminder_book.get(),
        w.reminder_signup.get(), erase_from_pledges(*w.redis, settings.redis_prefix)});
    if (parts.deliver_reminders) {
      w.notify = std::make_unique<notify::webhook_sender>(
          w.io, *notify::endpoint::parse(settings.notify_url), settings.notify_keys,
          parts.notify_tls, settings.notify_timeout,
          // Every lane's whole batch is in flight at once: keeping fewer connections open would
          // close and reopen the rest for every batch.
          settings.reminder_batch * reminders::scheduler_options{}.lanes);
      w.scheduler = std::make_unique<reminders::reminder_scheduler>(
          *w.reminder_store, *w.reminder_book, *w.notify, &reminder_metrics,
          reminders::scheduler_options{.batch = settings.reminder_batch,
                                       .lease = settings.reminder_lease,
                                       .idle_poll = settings.reminder_poll,
                                       .public_url = settings.public_url,
                                       .give_url = settings.give_url,
                                       .now_ms = {},
                                       .reports_gauges = index == 0});
      // The reader's pledge messages go out the same way, from the queue the webhook
      // processor's script fills (notify/outbox.hpp).
      if (!message_links) {
        message_links.emplace(settings.link_secret, settings.public_url, settings.give_url);
      }
      w.outbox = std::make_unique<notify::outbox_store>(*w.redis, settings.redis_prefix);
      w.message_pledges = std::make_unique<pledges::pledge_store>(*w.redis, settings.redis_prefix);
      w.messenger = std::make_unique<pledges::pledge_messenger>(
          *w.message_pledges, *settings.data_keys, *message_links);
      w.outbox_sender = std::make_unique<notify::outbox_sender>(
          *w.outbox, *w.messenger, *w.notify,
          notify::outbox_options{.lease = settings.reminder_lease,
                                 .idle_poll = settings.reminder_poll,
                                 .now_ms = {},
                                 .metrics = &message_metrics});
    }
  }

  // The webhook processor, with webhook secrets; the reconciler beside it, with a Stripe key.
  void add_webhooks(worker& w, unsigned index) {
    if (!settings.stripe_webhook_secrets.empty()) {
      // Consumers are named per process and thread; a dead process's unacknowledged events are
      // taken over by the others after --webhook-retry-after.
      auto consumer = std::to_string(::getpid()) + "-" + std::to_string(index);
      w.processor = std::make_unique<webhooks::event_processor>(
          *w.redis, settings.redis_prefix, webhook_metrics, pledge_metrics, consumer,
          webhooks::processor_options{.retry_after = settings.webhook_retry_after,
                                      .max_attempts = settings.webhook_max_attempts,
                                      .renewal_notice = settings.renewal_notice,
                                      .data_keys = settings.data_keys},
          cancel_reminders_when_paid(w.reminder_book.get(), &reminder_metrics));
      // The reconciliation feeds the processors' stream, so it runs where they do.
      if (w.stripe) {
        w.reconciler = std::make_unique<reconcile::stripe_reconciler>(
            *w.redis, settings.redis_prefix, *w.stripe, &reconcile_metrics,
            reconcile::reconciler_options{
                .max_backlog = settings.webhook_max_backlog,
                .livemode = settings.stripe_livemode,
                .stopping = [this] { return shutting_down.load(std::memory_order_relaxed); }});
        w.reconcile->reconciler = w.reconciler.get();
      }
    }
  }

  worker& pick_worker() {
    auto& w = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    return w;
  }

  void register_instance_metrics() {
    ops::register_process_metrics(registry);
    registry.add_gauge("supportd_build_info", "supportd's version; always 1.", {"version"})
        .with({SUPPORTD_VERSION})
        .set(1);
    registry.add_gauge("supportd_start_time_seconds", "When this process started, in Unix seconds.")
        .with({})
        .set(core::now_unix_seconds());
    http::count_admin_refusals(registry);
    registry.add_computed_gauge("supportd_redis_up",
                                "1 when every worker's Redis connection is ready, else 0.", [this] {
                                  for (const auto& w : workers) {
                                    if (!w->redis->ready()) {
                                      return 0.0;
                                    }
                                  }
                                  return 1.0;
                                });
  }

  static const char* scheme_of(listener::kind what) {
    return what == listener::kind::https ? "https" : "http";
  }
  static const char* purpose_of(listener::kind what) {
    return what == listener::kind::ops ? "ops" : "public";
  }

  bool bind(const common::host_port& where, listener::kind what) {
    error_code ec;
    auto address = net::ip::make_address(where.host, ec);
    if (ec) {
      log::error("cannot listen: not an IP address", {{"address", where.host}});
      return false;
    }
    tcp::endpoint endpoint(address, where.port);
    auto l = std::make_unique<listener>(listener{tcp::acceptor(first().io), what});
    auto& a = l->acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) {
      a.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
      a.bind(endpoint, ec);
    }
    if (!ec) {
      a.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      log::error("cannot listen", {{"scheme", scheme_of(what)},
                                   {"listener", purpose_of(what)},
                                   {"address", describe(endpoint)},
                                   {"error", ec.message()}});
      return false;
    }
    log::info("listening", {{"scheme", scheme_of(what)},
                            {"address", describe(a.local_endpoint())},
                            {"listener", purpose_of(what)}});
    listeners.push_back(std::move(l));
    return true;
  }

  awaitable<void> accept_loop(listener& l) {
    for (;;) {
      auto& w = pick_worker();
      auto [ec, socket] = co_await l.acceptor.async_accept(w.io, use_tuple);
      if (ec) {
        if (ec == net::error::operation_aborted || !l.acceptor.is_open()) {
          co_return;
        }
        // Out of descriptors, most likely: back off briefly rather than spin.
        log::warn("accept failed", {{"error", ec.message()}});
        co_await pause(std::chrono::milliseconds(50));
        continue;
      }
      if (static_cast<std::size_t>(http_metrics.open_connections.value()) >=
          settings.max_connections) {
        http_metrics.rejected_connections.inc();
        socket.close(ec);
        continue;
      }
      // Counted here, not when the session starts on its worker: the cap must hold under a burst
      // of accepts, and shutdown must not miss a connection whose session has yet to start.
      http_metrics.open_connections.add(1);
      socket.set_option(tcp::no_delay(true), ec);
      if (l.what == listener::kind::https) {
        net::co_spawn(
            w.io, http::serve_tls(std::move(socket), tls->current(), session, w.tracker, *w.routes),
            net::detached);
      } else {
        const bool ops = l.what == listener::kind::ops;
        net::co_spawn(w.io,
                      http::serve_plain(std::move(socket), ops ? ops_session : session, w.tracker,
                                        ops ? *w.ops_routes : *w.routes),
                      net::detached);
      }
    }
  }

  // A worker's housekeeping, ten times a second: close the connections that passed their
  // deadline (sessions have no timers of their own) and write out buffered request logs.
  awaitable<void> tick(worker& w) {
    net::steady_timer timer(w.io);
    for (;;) {
      timer.expires_after(std::chrono::milliseconds(100));
      auto [ec] = co_await timer.async_wait(use_tuple);
      if (ec) {
        co_return;
      }
      w.tracker.close_expired(http::connection_tracker::clock::now());
      log::flush_thread();
    }
  }

  // The recurring pledge gauges, read from the stats hashes in Redis: as soon as Redis answers,
  // then every 5 s (± 0.5 s, so replicas started together spread out). One task per process, on
  // the first worker; every replica reads the same hashes, so every replica shows the same.
  awaitable<void> refresh_recurring_gauges(worker& w) {
    pledges::pledge_store store(*w.redis, settings.redis_prefix);
    net::steady_timer timer(w.io);
    bool published = false;
    while (!shutting_down.load(std::memory_order_relaxed)) {
      auto stats = co_await store.stats();
      if (stats) {
        pledge_metrics.recurring->publish(stats->totals);
        published = true;
      }
      // Until the first figures are in, try again soon: Redis may still be connecting.
      timer.expires_after(published ? core::jittered(std::chrono::milliseconds(5000), 0.9, 1.1)
                                    : std::chrono::milliseconds(100));
      auto [ec] = co_await timer.async_wait(use_tuple);
      if (ec) {
        co_return;
      }
    }
  }

  void wait_for_signal() {
    signals->async_wait([this](error_code ec, int signal) {
      if (ec) {
        return;
      }
      if (signal == SIGHUP) {
        reload_tls();
        wait_for_signal();
        return;
      }
      begin_shutdown(signal);
    });
  }

  void reload_tls() {
    if (!tls) {
      log::info("SIGHUP: HTTPS is off, nothing to reload");
      return;
    }
    try {
      tls->replace(http::make_server_tls_context(settings.tls_cert_file, settings.tls_key_file));
      log::info("tls certificate reloaded");
    } catch (const std::exception& e) {
      log::error("tls certificate reload failed; keeping the current one", {{"error", e.what()}});
    }
  }

  void begin_shutdown(int signal) {
    if (shutting_down.exchange(true)) {
      return;
    }
    log::info("shutting down",
              {{"signal", signal}, {"open_connections", http_metrics.open_connections.value()}});
    for (auto& l : listeners) {
      error_code ignored;
      l->acceptor.close(ignored);
    }
    for (auto& w : workers) {
      net::post(w->io, [&w = *w] { w.tracker.close_idle(); });
    }
    net::co_spawn(first().io, finish_shutdown(), net::detached);
  }

  awaitable<void> finish_shutdown() {
    const auto deadline = std::chrono::steady_clock::now() + settings.drain_timeout;
    net::steady_timer tick(first().io);
    while (http_metrics.open_connections.value() > 0 &&
           std::chrono::steady_clock::now() < deadline) {
      // Connections that finished their request since the last tick are idle now, or gone.
      for (auto& w : workers) {
        net::post(w->io, [&w = *w] { w.tracker.close_idle(); });
      }
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(use_tuple);
    }
    log::info("drained", {{"open_connections", http_metrics.open_connections.value()}});
    signals->cancel();
    for (auto& w : workers) {
      net::post(w->io, [&w = *w] {
        w.redis->close();
        w.io.stop();
      });
    }
  }
};

server::server(config::settings settings, feature_settings features,
               std::shared_ptr<boost::asio::ssl::context> tls)
    : state_(std::make_unique<state>()) {
  auto& s = *state_;
  s.settings = std::move(settings);
  s.features = std::move(features);
  s.report_metrics.emplace(s.registry, s.features.report_campaigns);
  s.pledge_metrics.report = &*s.report_metrics;
  if (tls) {
    s.tls.emplace(std::move(tls));
  }
  s.session = http::session_settings{
      .max_body_bytes = s.settings.max_body_bytes,
      .max_header_bytes = s.settings.max_header_bytes,
      .header_timeout = s.settings.header_timeout,
      .idle_timeout = s.settings.idle_timeout,
      .metrics = &s.http_metrics,
      .draining = &s.shutting_down,
  };
  s.ops_session = s.session;
  s.ops_session.ops_listener = true;
  redis::connection::options redis_options{
      .endpoint = s.features.redis.endpoint,
      .tls = s.features.redis.endpoint.tls ? redis::make_redis_tls_context(s.features.redis.tls)
                                           : nullptr,
      .sentinel = s.features.redis.sentinel,
      .command_timeout = s.settings.redis_timeout};
  std::shared_ptr<net::ssl::context> stripe_tls;
  if (!s.settings.stripe_secret_key.empty()) {
    s.stripe_settings.api = *http::base_url::parse(s.settings.stripe_api_base);
    s.stripe_settings.secret_key = s.settings.stripe_secret_key;
    s.stripe_settings.checkout = {
        .product_name = s.settings.stripe_product_name,
        .payment_method_configuration = s.settings.stripe_payment_method_configuration,
        .pickable_methods = s.settings.stripe_payment_methods,
    };
    s.stripe_settings.timeout = s.settings.stripe_timeout;
    stripe_tls = http::make_client_tls_context(s.settings.stripe_ca_file);
  }
  std::shared_ptr<net::ssl::context> notify_tls;
  const bool deliver_reminders = s.settings.data_keys && !s.settings.notify_url.empty();
  if (deliver_reminders) {
    notify_tls = http::make_client_tls_context(s.settings.notify_ca_file);
  } else if (s.settings.data_keys) {
    log::warn("reminders are accepted but not delivered: --notify-url is not set");
  }
  const state::worker_parts parts{redis_options, stripe_tls, notify_tls, deliver_reminders};
  for (unsigned i = 0; i < s.settings.threads; ++i) {
    s.workers.push_back(s.make_worker(i, parts));
  }
  s.register_instance_metrics();
}

server::~server() = default;

int server::run() {
  auto& s = *state_;
  if (s.settings.listen_https && !s.bind(*s.settings.listen_https, listener::kind::https)) {
    return 1;
  }
  if (s.settings.listen_http && !s.bind(*s.settings.listen_http, listener::kind::http)) {
    return 1;
  }
  if (s.settings.listen_ops && !s.bind(*s.settings.listen_ops, listener::kind::ops)) {
    return 1;
  }
  s.signals.emplace(s.first().io, SIGINT, SIGTERM, SIGHUP);
  s.wait_for_signal();

  net::co_spawn(s.first().io, s.refresh_recurring_gauges(s.first()), net::detached);
  // One schedule per process; the lease makes it one run at a time across replicas.
  if (auto* reconciler = s.first().reconciler.get()) {
    net::co_spawn(s.first().io,
                  reconciler->run_every(s.settings.stripe_reconcile_interval, s.shutting_down),
                  net::detached);
  }
  for (auto& w : s.workers) {
    w->redis->start();
    net::co_spawn(w->io, s.tick(*w), net::detached);
    if (w->processor) {
      net::co_spawn(w->io, w->processor->run(s.shutting_down), net::detached);
    }
    if (w->scheduler) {
      net::co_spawn(w->io, w->scheduler->run(s.shutting_down), net::detached);
    }
    if (w->outbox_sender) {
      net::co_spawn(w->io, w->outbox_sender->run(s.shutting_down), net::detached);
    }
  }
  for (auto& l : s.listeners) {
    net::co_spawn(s.first().io, s.accept_loop(*l), net::detached);
  }
  for (std::size_t i = 1; i < s.workers.size(); ++i) {
    auto& w = *s.workers[i];
    w.thread = std::thread([&w] {
      log::buffer_thread();
      auto guard = net::make_work_guard(w.io);
      w.io.run();
      log::flush_thread();
    });
  }
  {
    log::buffer_thread();
    auto guard = net::make_work_guard(s.first().io);
    s.first().io.run();
    log::flush_thread();
  }
  for (auto& w : s.workers) {
    if (w->thread.joinable()) {
      w->thread.join();
    }
  }
  log::info("stopped");
  return 0;
}

}  // namespace supportd::app

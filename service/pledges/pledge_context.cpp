#include "pledges/pledge_context.hpp"

#include "config/settings.hpp"
#include "pledges/pledge_metrics.hpp"

namespace supportd::pledges {

pledge_context::pledge_context(const config::settings& settings, redis::connection& redis,
                               redis::replica_wait& replication, limits::public_gate& gate,
                               providers::checkout_provider* provider, pledge_metrics& stats,
                               const pledge_limits& limits)
    : settings(settings),
      gate(gate),
      stats(stats),
      limits(limits),
      links(settings.link_secret, settings.public_url),
      reader_links(settings.link_secret, settings.public_url, settings.give_url),
      store(redis, settings.redis_prefix, stats.report),
      outbox(redis, settings.redis_prefix),
      answers(store, replication),
      cancellation(store, provider, stats),
      changes(store, provider, limits, reader_links, stats) {
  if (provider != nullptr) {
    checkout.emplace(store, answers, replication, *provider, links, settings.data_keys, stats);
  }
}

}  // namespace supportd::pledges

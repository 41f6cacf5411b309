// The pledges' side of the outbound messages (notify/outbox_sender.hpp): a queued pledge message
// (message_plan.hpp) made, just before it is sent, into the webhook the reader's email is sent
// from (pledge_message.hpp), with the pledge's terms and the reader's address as they are then.
// A pledge gone, or without an address (erased), leaves nothing to send.
//
// Not thread-safe: one per worker thread, over that thread's pledge store.
#pragma once

#include "notify/outbox_sender.hpp"
#include "pledges/pledge_links.hpp"

namespace supportd::security {
class data_keys;
}

namespace supportd::pledges {

class pledge_store;

// The pledge id in a pledge message's webhook-id ("pm_<pledge id>_<type>_<occurrence>"), or
// empty when `webhook_id` is no pledge message's.
std::string_view pledge_of(std::string_view webhook_id);

class pledge_messenger final : public notify::message_renderer {
 public:
  // `keys` and `links` must outlive the messenger.
  pledge_messenger(pledge_store& store, const security::data_keys& keys, const pledge_links& links)
      : store_(store), keys_(keys), links_(links) {}

  awaitable<boost::system::result<std::optional<notify::delivery>>> render(
      const notify::claimed_message& m, std::int64_t now_ms) override;

 private:
  pledge_store& store_;
  const security::data_keys& keys_;
  const pledge_links& links_;
};

}  // namespace supportd::pledges

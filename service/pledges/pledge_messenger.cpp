#include "pledges/pledge_messenger.hpp"

#include "log/logger.hpp"
#include "pledges/message_plan.hpp"
#include "pledges/pledge_reader.hpp"
#include "pledges/pledge_store.hpp"

namespace supportd::pledges {

std::string_view pledge_of(std::string_view webhook_id) {
  // "pm_" + "pl_<16 characters>" + "_…": the pledge id holds '_' of its own (base64url), so it
  // is cut by its known length, not at an underscore.
  constexpr std::string_view prefix = "pm_pl_";
  constexpr std::size_t id_length = 3 + 16;
  if (!webhook_id.starts_with(prefix) || webhook_id.size() <= 3 + id_length ||
      webhook_id[3 + id_length] != '_') {
    return {};
  }
  return webhook_id.substr(3, id_length);
}

awaitable<boost::system::result<std::optional<notify::delivery>>> pledge_messenger::render(
    const notify::claimed_message& m, std::int64_t now_ms) {
  using none = std::optional<notify::delivery>;
  const auto pledge_id = pledge_of(m.id);
  auto facts = pledge_id.empty() ? std::nullopt : decode_queued(pledge_id, m.text);
  if (!facts) {
    // Not a pledge message as message_plan writes them: nothing can be made of it.
    log::error("an outbound message is not a pledge message; dropped", {{"message", m.id}});
    co_return none{};
  }
  auto found = co_await store_.find(pledge_id);
  if (!found) {
    co_return found.error();
  }
  if (!*found) {
    co_return none{};  // the pledge is gone
  }
  const auto& p = **found;
  auto reader = open_reader(keys_, p.id, p.sealed_email, p.sealed_name);
  if (!reader) {
    co_return none{};  // erased, or under a key no longer in the key file
  }
  // What changed since queuing decides some: a renewal notice only for the renewal still coming
  // (not one the pledge no longer has, or moved), a card update only while there is a pledge to
  // save.
  if (facts->type == message_type::renewal_upcoming) {
    if (p.status != pledge_state::active || p.next_charge_at_ms / 1000 != facts->charged_at_unix) {
      co_return none{};
    }
    facts->charged_minor = p.amount_minor;  // what the renewal will charge now
  }
  if (facts->type == message_type::payment_failed && p.status == pledge_state::canceled) {
    co_return none{};
  }
  facts->amount_minor = p.amount_minor;
  facts->currency = p.currency;
  facts->every = p.every;
  facts->campaign = p.source.campaign;
  facts->locale = p.locale;
  const auto now_unix = now_ms / 1000;
  message_links links{links_.manage_url(p.id, now_unix), {}, {}};
  if (facts->type == message_type::payment_failed) {
    links.update_payment_url = links_.update_payment_url(p.id, now_unix);
  }
  if (facts->type == message_type::canceled) {
    links.restart_url = links_.restart_url(p.amount_minor, p.currency, p.every, p.source.campaign);
  }
  co_return none{notify::delivery{m.id, now_unix, message_body(*facts, *reader, links, now_unix)}};
}

}  // namespace supportd::pledges

// Which of the reader's messages (pledge_message.hpp) a provider's event makes, decided when the
// event is applied and queued by the same script (queue_messages.lua), and the text a queued
// message is kept as until it is sent. Pure.
//
//   first payment (pending -> active | paid)         pledge.thank_you, once per pledge
//   a later paid invoice                             pledge.payment_succeeded, once per invoice
//   a failed invoice attempt                         pledge.payment_failed, once per attempt
//   a paid invoice of a yearly pledge                pledge.renewal_upcoming, due the notice
//                                                    period before the period it paid ends
//   active | past_due -> canceled                    pledge.canceled, once per pledge (a pledge
//                                                    never paid ends silently: anyone can post
//                                                    one with anyone's address)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pledges/pledge_message.hpp"
#include "pledges/pledge_state.hpp"
#include "pledges/provider_update.hpp"

namespace supportd::pledges {

// A message as queue_messages.lua takes it.
struct queued_message {
  std::string webhook_id;
  std::int64_t due_ms = 0;
  std::string text;  // encode_queued's
  // About the event's payment (count_once_as): queued only with that payment's first counting.
  bool per_payment = false;
};

struct message_context {
  std::string pledge_id;
  pledge_state before = pledge_state::pending;
  pledge_state after = pledge_state::pending;
  interval every = interval::once;
  std::int64_t now_ms = 0;
  // --renewal-notice-days.
  std::chrono::days renewal_notice{14};
};

std::vector<queued_message> messages_for(const provider_update& u, const message_context& c);

// The message a cancellation by the reader or an admin makes (transition_pledge.lua queues it):
// pledge.canceled when a pledge that was giving ends; none for one never paid.
std::vector<queued_message> messages_for_cancel(const message_context& c, canceled_by who);

// The event's part of message_facts (type, occurrence and the type's own facts) as text, and
// back: the pledge's terms and the reader are read from the pledge when the message is sent.
// nullopt for text encode_queued does not write.
std::string encode_queued(const message_facts& m);
std::optional<message_facts> decode_queued(std::string_view pledge_id, std::string_view text);

}  // namespace supportd::pledges

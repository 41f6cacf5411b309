// The outbound messages to the site's email service other than reminders (the reader's pledge
// messages today, pledges/pledge_message.hpp), queued in Redis by the scripts that change what
// they are about and delivered like reminders (Standard Webhooks, event_sender.hpp):
//
//   <prefix>msg:due    sorted set: queued messages by when they are due (unix ms); its members
//                      are the messages' webhook-ids
//   <prefix>msg:items  hash: webhook-id -> the queued message's text, which its producer writes
//                      and reads (pledges: message_facts as pledge_store encodes them)
//   <prefix>msg:lease  sorted set: messages being sent, by when their lease runs out (unix ms)
//   <prefix>msg:dead   sorted set: dead letters (every attempt failed, or 410), by when they died
//   <prefix>msg:failures, <prefix>msg:errors
//                      hashes: webhook-id -> failed attempts so far, and the last one's error
//                      (no personal data), for messages that failed at least once
//
// A message is in at most one of the three sorted sets; scripts in notify/scripts/ move it
// between them (claim_messages, settle_messages, replay_message), and the producer's own script
// queues it (pledges/scripts/queue_messages.lua).
//
// A webhook-id is the message's identity: queuing one that is queued already changes nothing
// (HSETNX), so a producer that runs twice for one occurrence queues it once. The text holds no
// personal data: the sender reads the address from its owner (sealed) just before sending, so
// an erasure in between leaves nothing to send.
//
// Why not the reminders' own due set: a reminder is a record that moves through states (its
// occurrences, unsubscribes, send claims) under compare-and-set on its bytes; a message is
// queued once and sent once. Two small sets keep each simple, and the delivery parts they share
// (event_sender and its webhook_sender, notify/retry_schedule.hpp) are one code.
#pragma once

#include <string>
#include <string_view>

namespace supportd::notify {

struct outbox_keys {
  std::string due;
  std::string items;
  std::string lease;
  std::string dead;
  std::string failures;
  std::string errors;

  static outbox_keys under(std::string_view prefix) {
    std::string p(prefix);
    return {p + "msg:due",  p + "msg:items",    p + "msg:lease",
            p + "msg:dead", p + "msg:failures", p + "msg:errors"};
  }
};

}  // namespace supportd::notify

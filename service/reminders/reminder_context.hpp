// What the reminder routes use on one worker thread; app/ builds one per worker, over that
// worker's Redis connection.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <functional>
#include <string_view>

#include "core/net.hpp"

namespace supportd::config {
struct settings;
}
namespace supportd::limits {
class public_gate;
}

namespace supportd::reminders {

struct reminder_metrics;
class reminder_store;
class reminder_book;
class reminder_signup;

struct reminder_context {
  const config::settings& settings;
  limits::public_gate& gate;
  reminder_metrics& stats;
  // For the routes that only read (a reminder's status, the dead letters).
  reminder_store& store;
  // What changes reminders, and the sign-up; both null when reminders are off (no
  // --data-key-file: addresses could be neither sealed nor opened).
  reminder_book* book;
  reminder_signup* signup;
  // The reader's erasure from their pledges too (app/ wires it to pledges/pledge_store.hpp's
  // erase_reader; reminders know nothing of pledges): given the reader's keyed hash, how many
  // pledges held their address. Empty: nothing else to erase.
  std::function<awaitable<boost::system::result<std::int64_t>>(std::string_view reader_hash)>
      erase_from_pledges = {};
};

}  // namespace supportd::reminders

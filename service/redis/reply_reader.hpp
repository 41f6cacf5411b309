// Turns the bytes a Redis server sends into replies, one at a time, with hiredis's RESP parser.
// No I/O: whoever reads the socket feeds it.
#pragma once

#include <boost/system/result.hpp>
#include <optional>
#include <string_view>

#include "redis/reply.hpp"

struct redisReader;

namespace supportd::redis {

class reply_reader {
 public:
  reply_reader();
  ~reply_reader();
  reply_reader(const reply_reader&) = delete;
  reply_reader& operator=(const reply_reader&) = delete;

  // Adds bytes read from the connection (copied).
  void feed(std::string_view bytes);
  // The next complete reply, or nullopt when more bytes are needed. Bytes that are not RESP
  // are errc::unexpected_reply: the connection cannot be trusted after that and must be dropped.
  boost::system::result<std::optional<reply>> next();
  // Forgets everything fed: a new connection starts from a clean slate.
  void reset();

 private:
  redisReader* reader_;
};

}  // namespace supportd::redis

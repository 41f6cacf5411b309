#include "redis/reply_reader.hpp"

#include <hiredis/hiredis.h>

#include <memory>

#include "redis/errc.hpp"

namespace supportd::redis {

reply_reader::reply_reader() : reader_(redisReaderCreate()) {
  if (reader_ == nullptr) {
    throw std::bad_alloc();
  }
}

reply_reader::~reply_reader() {
  redisReaderFree(reader_);
}

void reply_reader::feed(std::string_view bytes) {
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    throw std::bad_alloc();  // the only way feeding fails
  }
}

boost::system::result<std::optional<reply>> reply_reader::next() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
    return make_error_code(errc::unexpected_reply);
  }
  if (raw == nullptr) {
    return std::optional<reply>();
  }
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> owned(static_cast<redisReply*>(raw),
                                                                &freeReplyObject);
  auto parsed = from_hiredis(owned.get());
  if (!parsed) {
    return make_error_code(errc::unexpected_reply);
  }
  return std::optional<reply>(std::move(*parsed));
}

void reply_reader::reset() {
  redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  if (reader_ == nullptr) {
    throw std::bad_alloc();
  }
}

}  // namespace supportd::redis

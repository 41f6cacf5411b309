#include "redis/errc.hpp"

#include <string>

namespace supportd::redis {
namespace {

class redis_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "supportd.redis"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::not_connected:
        return "not connected to Redis";
      case errc::connection_lost:
        return "connection to Redis lost";
      case errc::timeout:
        return "Redis command timed out";
      case errc::overloaded:
        return "too many Redis commands in flight";
      case errc::server_error:
        return "Redis returned an error";
      case errc::unexpected_reply:
        return "unexpected Redis reply";
      case errc::contended:
        return "record changed concurrently too many times";
    }
    return "unknown Redis error";
  }
};

}  // namespace

const boost::system::error_category& category() {
  static const redis_category instance;
  return instance;
}

bool is_unavailable(const boost::system::error_code& ec) {
  return ec == errc::not_connected || ec == errc::connection_lost || ec == errc::timeout ||
         ec == errc::overloaded;
}

}  // namespace supportd::redis

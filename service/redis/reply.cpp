#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

#include "redis/errc.hpp"

namespace supportd::redis {

std::optional<reply> from_hiredis(const redisReply* raw, int max_depth) {
  if (raw == nullptr || max_depth < 0) {
    return std::nullopt;
  }
  reply r;
  switch (raw->type) {
    case REDIS_REPLY_NIL:
      r.type = reply::kind::nil;
      break;
    case REDIS_REPLY_INTEGER:
      r.type = reply::kind::integer;
      r.integer = raw->integer;
      break;
    case REDIS_REPLY_STRING:
      r.type = reply::kind::string;
      r.text.assign(raw->str, raw->len);
      break;
    case REDIS_REPLY_STATUS:
      r.type = reply::kind::status;
      r.text.assign(raw->str, raw->len);
      break;
    case REDIS_REPLY_ERROR:
      r.type = reply::kind::error;
      r.text.assign(raw->str, raw->len);
      break;
    case REDIS_REPLY_ARRAY:
      r.type = reply::kind::array;
      r.elements.reserve(raw->elements);
      for (std::size_t i = 0; i < raw->elements; ++i) {
        auto element = from_hiredis(raw->element[i], max_depth - 1);
        if (!element) {
          return std::nullopt;
        }
        r.elements.push_back(std::move(*element));
      }
      break;
    default:
      return std::nullopt;
  }
  return r;
}

boost::system::result<std::int64_t> as_integer(const reply& r) {
  if (r.type == reply::kind::integer) {
    return r.integer;
  }
  return make_error_code(r.is_error() ? errc::server_error : errc::unexpected_reply);
}

boost::system::result<std::string> as_string(const reply& r) {
  if (r.type == reply::kind::string || r.type == reply::kind::status) {
    return r.text;
  }
  return make_error_code(r.is_error() ? errc::server_error : errc::unexpected_reply);
}

boost::system::result<std::optional<std::string>> as_optional_string(const reply& r) {
  if (r.is_nil()) {
    return std::optional<std::string>{};
  }
  auto s = as_string(r);
  if (!s) {
    return s.error();
  }
  return std::optional<std::string>{std::move(*s)};
}

boost::system::result<std::vector<std::string>> as_string_array(const reply& r) {
  if (r.type != reply::kind::array) {
    return make_error_code(r.is_error() ? errc::server_error : errc::unexpected_reply);
  }
  std::vector<std::string> out;
  out.reserve(r.elements.size());
  for (const auto& e : r.elements) {
    if (e.type != reply::kind::string) {
      return make_error_code(errc::unexpected_reply);
    }
    out.push_back(e.text);
  }
  return out;
}

boost::system::result<void> expect_status(const reply& r, std::string_view expected) {
  if (r.type == reply::kind::status && r.text == expected) {
    return {};
  }
  return make_error_code(r.is_error() ? errc::server_error : errc::unexpected_reply);
}

}  // namespace supportd::redis

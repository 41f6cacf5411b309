// Redis replies as bytes on the socket, read by hiredis's reader as redis/connection.cpp reads
// them, then copied by from_hiredis and read through the typed views.
// Invariants: the copy says what hiredis read (written back out as RESP and read again, it is the
// same reply); nesting beyond the depth limit is refused and nothing within it is; each typed view
// accepts exactly its own types, and an error reply is a server error to every one of them.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "fuzz_check.hpp"
#include "redis/errc.hpp"
#include "redis/reply.hpp"

namespace {

using namespace supportd;
using fuzz::expect;
using redis::reply;

// hiredis allocates an array's element pointers as soon as it reads the count, before the
// elements arrive; a (trusted) server that announces billions would exhaust memory in hiredis,
// not in supportd's code, so such inputs are skipped.
bool announces_huge_array(std::string_view bytes) {
  for (auto star = bytes.find('*'); star != std::string_view::npos;
       star = bytes.find('*', star + 1)) {
    auto digits = bytes.substr(star + 1, 7);
    auto length = std::min(digits.find_first_not_of("0123456789"), digits.size());
    if (length > 5) {
      return true;
    }
  }
  return false;
}

void write_resp(const reply& r, std::string& out) {
  switch (r.type) {
    case reply::kind::nil:
      out += "$-1\r\n";
      break;
    case reply::kind::integer:
      out += ":" + std::to_string(r.integer) + "\r\n";
      break;
    case reply::kind::string:
      out += "$" + std::to_string(r.text.size()) + "\r\n" + r.text + "\r\n";
      break;
    case reply::kind::status:
      out += "+" + r.text + "\r\n";
      break;
    case reply::kind::error:
      out += "-" + r.text + "\r\n";
      break;
    case reply::kind::array:
      out += "*" + std::to_string(r.elements.size()) + "\r\n";
      for (const auto& e : r.elements) {
        write_resp(e, out);
      }
      break;
  }
}

bool same(const reply& a, const reply& b) {
  return a.type == b.type && a.integer == b.integer && a.text == b.text &&
         std::equal(a.elements.begin(), a.elements.end(), b.elements.begin(), b.elements.end(),
                    same);
}

// How many arrays deep the reply goes, counting only arrays that hold something.
int levels(const reply& r) {
  int deepest = -1;
  for (const auto& e : r.elements) {
    deepest = std::max(deepest, levels(e));
  }
  return deepest + 1;
}

template <typename Result>
bool refused_as(const Result& result, redis::errc why) {
  return !result && result.error() == make_error_code(why);
}

void check_views(const reply& r) {
  using k = reply::kind;
  const auto refusal = r.is_error() ? redis::errc::server_error : redis::errc::unexpected_reply;
  auto integer = redis::as_integer(r);
  expect(r.type == k::integer ? integer && *integer == r.integer : refused_as(integer, refusal),
         "as_integer takes integers only");
  auto text = redis::as_string(r);
  expect(r.type == k::string || r.type == k::status ? text && *text == r.text
                                                    : refused_as(text, refusal),
         "as_string takes bulk strings and statuses only");
  auto optional = redis::as_optional_string(r);
  expect(r.type == k::string || r.type == k::status || r.type == k::nil
             ? optional.has_value()
             : refused_as(optional, refusal),
         "as_optional_string takes nil too");
  auto strings = redis::as_string_array(r);
  const bool all_strings =
      r.type == k::array && std::all_of(r.elements.begin(), r.elements.end(),
                                        [](const reply& e) { return e.type == k::string; });
  expect(all_strings ? strings && strings->size() == r.elements.size() : !strings,
         "as_string_array takes arrays of bulk strings only");
  expect(redis::expect_status(r, r.text).has_value() == (r.type == k::status),
         "expect_status takes its status only");
}

// Reads every reply in `bytes`; calls `each` with hiredis's tree.
template <typename Each>
void read_all(std::string_view bytes, Each each) {
  redisReader* reader = redisReaderCreate();
  expect(reader != nullptr, "a reader can be made");
  if (redisReaderFeed(reader, bytes.data(), bytes.size()) == REDIS_OK) {
    void* raw = nullptr;
    while (redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr) {
      each(static_cast<const redisReply*>(raw));
      freeReplyObject(raw);
      raw = nullptr;
    }
  }
  redisReaderFree(reader);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = fuzz::as_text(data, size);
  if (announces_huge_array(bytes)) {
    return 0;
  }
  read_all(bytes, [](const redisReply* raw) {
    auto copy = redis::from_hiredis(raw);
    expect(copy.has_value(), "whatever hiredis reads (at most 8 deep) is copied");
    for (int limit = 0; limit <= 8; ++limit) {
      expect(redis::from_hiredis(raw, limit).has_value() == (levels(*copy) <= limit),
             "nesting beyond the limit, and only that, is refused");
    }
    check_views(*copy);

    std::string written;
    write_resp(*copy, written);
    int replies = 0;
    read_all(written, [&](const redisReply* again) {
      ++replies;
      auto copy_again = redis::from_hiredis(again);
      expect(copy_again && same(*copy, *copy_again), "the copy is the reply hiredis read");
    });
    expect(replies == 1, "the copy is one reply");
  });
  return 0;
}

// A JSON document read and dropped within one function: parsed into a buffer the object holds
// (so, declared as a local, on the caller's stack), with the heap only beyond it. Boost.JSON
// otherwise allocates every string, array and object of a document one by one; a Stripe event or
// Checkout Session is dozens of them, parsed on every webhook and pledge.
//
// The value lives as long as this object and no longer. Copies of any part of it share this
// object's memory too (Boost.JSON copies keep their source's storage), so take out scalars and
// strings, never json::value copies.
#pragma once

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

namespace supportd::common {

class parsed_json {
 public:
  // Parses `text`; a text that is not one JSON document leaves a null value.
  explicit parsed_json(std::string_view text);
  parsed_json(const parsed_json&) = delete;
  parsed_json& operator=(const parsed_json&) = delete;

  bool ok() const { return ok_; }
  const boost::json::value& value() const { return value_; }
  // The top-level object, or nullptr when the document is something else (or not JSON).
  const boost::json::object* object() const { return value_.if_object(); }

 private:
  // Room for a Checkout Session as Stripe answers it: 2 KB of JSON that Boost.JSON 1.81 makes
  // into 80 allocations, 4.2 KB in all. Larger documents take the rest in a few large blocks.
  std::array<unsigned char, std::size_t{8} * 1024> buffer_;
  boost::json::monotonic_resource memory_;
  boost::json::value value_;
  bool ok_ = false;
};

}  // namespace supportd::common

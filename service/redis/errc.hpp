// Errors of the Redis client, as an error_code category.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace supportd::redis {

enum class errc {
  not_connected = 1,  // no usable connection right now (connecting, reconnecting or closed)
  connection_lost,    // the connection dropped before the reply came
  timeout,            // no reply within the command deadline
  overloaded,         // too many commands already waiting on this connection
  server_error,       // Redis answered with an error reply
  unexpected_reply,   // a reply of a type or shape the caller did not expect
  contended,          // a compare-and-set kept losing to concurrent writers
};

const boost::system::error_category& category();

inline boost::system::error_code make_error_code(errc e) {
  return {static_cast<int>(e), category()};
}

// True for the errors that mean "Redis is not reachable now, try later" (HTTP 503).
bool is_unavailable(const boost::system::error_code& ec);

}  // namespace supportd::redis

template <>
struct boost::system::is_error_code_enum<supportd::redis::errc> : std::true_type {};

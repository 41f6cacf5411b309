// Short names for the Boost namespaces every I/O file uses.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

namespace supportd {

namespace net = boost::asio;
using error_code = boost::system::error_code;

template <class T>
using awaitable = net::awaitable<T>;

}  // namespace supportd

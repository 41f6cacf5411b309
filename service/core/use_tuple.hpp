// The completion token supportd's coroutines wait with: `auto [ec, n] = co_await
// op(use_tuple)` hands back the error code instead of throwing it, since timeouts, cancellation
// and closed peers are expected outcomes here, not exceptions.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/net.hpp"

namespace supportd {

inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

}  // namespace supportd

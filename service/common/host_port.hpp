// A listen address, "HOST:PORT" or "[V6]:PORT".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supportd::common {

struct host_port {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const host_port&, const host_port&) = default;
};

std::optional<host_port> parse_host_port(std::string_view text);

}  // namespace supportd::common

#include "common/url.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>

namespace supportd::common {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::optional<std::string> origin_of(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "https" && parsed->scheme() != "http") ||
      parsed->encoded_host().empty() || parsed->has_userinfo()) {
    return std::nullopt;
  }
  return lower(std::string(parsed->scheme()) + "://" +
               std::string(parsed->encoded_host_and_port()));
}

bool plain_http_allowed(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http") {
    return true;
  }
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4:
      return (parsed->host_ipv4_address().to_uint() >> 24) == 127;
    case boost::urls::host_type::ipv6:
      return parsed->host_ipv6_address().is_loopback();
    case boost::urls::host_type::name:
      return lower(std::string(parsed->encoded_host())) == "localhost";
    default:
      return false;
  }
}

}  // namespace supportd::common

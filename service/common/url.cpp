#include "common/url.hpp"

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
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
      parsed->encoded_host().empty() || parsed->has_userinfo() ||
      parsed->encoded_host().size() > max_host_name) {
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

void append_query_value(std::string& out, std::string_view value) {
  const auto at = out.size();
  out.resize(at + boost::urls::encoded_size(value, boost::urls::unreserved_chars));
  const auto written =
      boost::urls::encode(out.data() + at, out.size() - at, value, boost::urls::unreserved_chars);
  out.resize(at + written);
}

std::string service_link(
    std::string_view base, std::string_view path,
    std::initializer_list<std::pair<std::string_view, std::string_view>> query) {
  while (base.ends_with('/')) {
    base.remove_suffix(1);
  }
  std::string link(base);
  link += path;
  char separator = '?';
  for (const auto& [name, value] : query) {
    link += separator;
    link += name;
    link += '=';
    append_query_value(link, value);
    separator = '&';
  }
  return link;
}

std::string with_query(std::string_view url,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> query) {
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) {
    return std::string(url);
  }
  boost::urls::url out(*parsed);
  auto params = out.params();
  for (const auto& [name, value] : query) {
    if (!value.empty()) {
      params.set(name, value);
    }
  }
  return std::string(out.buffer());
}

std::optional<std::string> query_value(std::string_view url, std::string_view name) {
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) {
    return std::nullopt;
  }
  auto params = parsed->params();
  auto it = params.find(name);
  if (it == params.end()) {
    return std::nullopt;
  }
  return std::string((*it).value);
}

}  // namespace supportd::common

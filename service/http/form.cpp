#include "http/form.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace supportd::http {
namespace {

boost::urls::encoding_opts form_encoding() {
  boost::urls::encoding_opts options;
  options.space_as_plus = true;
  return options;
}

}  // namespace

std::optional<std::string> decode_form_component(std::string_view encoded) {
  // Only the escapes are checked (a '%' must begin one); other bytes, a raw space or UTF-8, are
  // taken as they are.
  auto checked = boost::urls::make_pct_string_view(encoded);
  if (!checked) {
    return std::nullopt;
  }
  return checked->decode(form_encoding());
}

bool for_each_form_field(std::string_view body,
                         const std::function<void(std::string_view, std::string_view)>& field) {
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (pair.empty()) {
      continue;
    }
    auto eq = pair.find('=');
    auto name = decode_form_component(pair.substr(0, eq));
    auto value = decode_form_component(eq == std::string_view::npos ? std::string_view{}
                                                                    : pair.substr(eq + 1));
    if (!name || !value) {
      return false;
    }
    field(*name, *value);
  }
  return true;
}

std::string form_field(std::string_view body, std::string_view name) {
  std::string found;
  bool seen = false;
  for_each_form_field(body, [&](std::string_view k, std::string_view v) {
    if (k == name && !seen) {
      found = v;
      seen = true;
    }
  });
  return found;
}

std::string encode_form_component(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars, form_encoding());
}

}  // namespace supportd::http

// The framing fields of a request Beast has parsed the head of, for refuse_framing: a header of
// its own so that the session and the framing fuzz target check the very same thing, while
// framing.hpp stays free of Beast.
#pragma once

#include <boost/beast/http/message.hpp>

#include "http/framing.hpp"

namespace supportd::http {

// Every Content-Length and Transfer-Encoding field value, in order, and the HTTP version.
template <class Fields>
framing_headers framing_of(const boost::beast::http::header<true, Fields>& head) {
  framing_headers f;
  f.version = head.version();
  for (const auto& field : head) {
    if (field.name() == boost::beast::http::field::content_length) {
      f.content_length.push_back(field.value());
    } else if (field.name() == boost::beast::http::field::transfer_encoding) {
      f.transfer_encoding.push_back(field.value());
    }
  }
  return f;
}

}  // namespace supportd::http

// Request heads as a client sends them, read by Beast's parser as http/session.cpp reads them,
// then checked by refuse_framing. Invariant (what the check is for): whenever supportd accepts a
// framing, Beast frames the body exactly that way: a single decimal Content-Length is the length
// Beast reads, "Transfer-Encoding: chunked" is the only way Beast reads chunks (and never with a
// length, never in HTTP/1.0), and a request with neither has no body.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <charconv>
#include <optional>

#include "fuzz_check.hpp"
#include "http/framing_of.hpp"

namespace {

namespace bhttp = boost::beast::http;
using namespace supportd;
using fuzz::expect;

// session.cpp's limits by default (settings: --max-header-bytes, --max-body-bytes).
constexpr std::uint32_t header_limit = 8 * 1024;
constexpr std::uint64_t body_limit = 64 * 1024;

std::optional<std::uint64_t> decimal(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(body_limit);
  boost::beast::error_code ec;
  auto input = fuzz::as_text(data, size);
  while (!parser.is_header_done() && !input.empty()) {
    auto used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    input.remove_prefix(used);
    if (ec || used == 0) {
      break;
    }
  }
  if (!parser.is_header_done()) {
    return 0;  // answered 400/431 or waited for, never framed
  }

  auto framing = http::framing_of(parser.get().base());
  if (http::refuse_framing(framing)) {
    return 0;  // 400 and the connection closed: its body boundary is never read
  }
  if (!framing.transfer_encoding.empty()) {
    expect(framing.version == 11, "chunked only in HTTP/1.1");
    expect(parser.chunked() && !parser.content_length(), "accepted chunked: Beast reads chunks");
  } else if (!framing.content_length.empty()) {
    auto length = decimal(framing.content_length.front());
    expect(length.has_value(), "an accepted Content-Length is a decimal number");
    expect(!parser.chunked() && parser.content_length() == length,
           "accepted Content-Length: Beast reads exactly that many bytes");
  } else {
    expect(!parser.chunked() && parser.is_done(), "no length and no chunks: no body");
  }

  // The body, as the session reads it next (it must not matter how it ends).
  while (!parser.is_done() && !input.empty()) {
    auto used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    input.remove_prefix(used);
    if (ec || used == 0) {
      break;
    }
  }
  return 0;
}

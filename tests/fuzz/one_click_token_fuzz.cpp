// The one-click links in emails (unsubscribe from a reminder, cancel a pledge): the query string
// as reminder_routes and pledge_routes read it ("id=…&token=…"), and the signed, expiring token
// checked by security::verify_link.
// Invariants: a token is accepted only when it is exactly the signature of that purpose, subject
// and a future expiry, so never for the other purpose; a freshly signed token is accepted, and
// changing any one byte of it, its subject or the clock past its expiry makes it refused; a token
// survives being put into a query and read back.
#include <charconv>
#include <functional>
#include <string>

#include "fuzz_check.hpp"
#include "http/form.hpp"
#include "http/message.hpp"
#include "security/secrets.hpp"

namespace {

using namespace supportd;
using fuzz::expect;

constexpr std::string_view key = "fuzz-link-secret";
constexpr std::int64_t now_unix = 1700000000;
constexpr std::string_view purposes[] = {"reminder-unsubscribe", "cancel-pledge"};

void check_received(std::string_view id, std::string_view token) {
  for (std::size_t i = 0; i < 2; ++i) {
    if (!security::verify_link(key, purposes[i], id, token, now_unix)) {
      continue;
    }
    std::int64_t expiry = 0;
    auto digits = token.substr(0, token.find('.'));
    std::from_chars(digits.data(), digits.data() + digits.size(), expiry);
    expect(expiry >= now_unix && token == security::sign_link(key, purposes[i], id, expiry),
           "only the exact signature of a future expiry is accepted");
    expect(!security::verify_link(key, purposes[1 - i], id, token, now_unix),
           "a token for one purpose is refused for the other");
  }
}

void check_signed(std::string_view subject, std::size_t seed) {
  const auto purpose = purposes[seed % 2];
  const std::int64_t expiry = now_unix + static_cast<std::int64_t>(seed % (30 * 86400));
  const auto token = security::sign_link(key, purpose, subject, expiry);
  expect(security::verify_link(key, purpose, subject, token, now_unix),
         "a signed token is accepted");
  expect(!security::verify_link(key, purpose, subject, token, expiry + 1), "it expires");
  expect(!security::verify_link(key, purposes[1 - seed % 2], subject, token, now_unix),
         "it is refused for the other purpose");
  expect(!security::verify_link(key, purpose, std::string(subject) + "x", token, now_unix),
         "it is refused for another subject");

  auto changed = token;
  changed[(seed >> 16) % changed.size()] ^= static_cast<char>(1 + (seed >> 8) % 255);
  expect(!security::verify_link(key, purpose, subject, changed, now_unix),
         "a token with any byte changed is refused");

  http::request link;
  std::string query =
      "id=" + http::encode_form_component(subject) + "&token=" + http::encode_form_component(token);
  link.query = query;
  expect(link.query_param("id") == subject && link.query_param("token") == token,
         "a link's id and token are read back as written");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::as_text(data, size);
  http::request link;
  link.query = text;
  check_received(link.query_param("id"), link.query_param("token"));
  check_signed(link.query_param("id"), std::hash<std::string_view>{}(text));
  return 0;
}

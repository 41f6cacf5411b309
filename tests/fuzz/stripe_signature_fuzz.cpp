// Stripe-Signature headers and bodies. Input: the header on the first line, the body after it.
// Invariants: a header is accepted only when one of its v1 signatures is the HMAC of
// "<its t>.<body>" under an active secret, at a time within the tolerance; a header signed for
// the body is accepted, under either of two rotated secrets; changing any byte of the body, of the
// signature or of the timestamp is refused; v0 signatures count for nothing.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "security/secrets.hpp"
#include "webhooks/stripe_signature.hpp"

namespace {

using namespace supportd;
using fuzz::expect;
using webhooks::signature_verdict;

constexpr std::int64_t now_unix = 1700000000;
constexpr std::int64_t tolerance = 300;
const std::vector<std::string> secrets = {"whsec_test_secret", "whsec_rotated_secret"};

signature_verdict verify(std::string_view header, std::string_view body) {
  return webhooks::verify_stripe_signature(header, body, secrets, now_unix, tolerance);
}

// The items of a header as Stripe's libraries read them: comma-separated "scheme=value".
std::vector<std::pair<std::string_view, std::string_view>> items_of(std::string_view header) {
  std::vector<std::pair<std::string_view, std::string_view>> items;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header.remove_prefix(comma == std::string_view::npos ? header.size() : comma + 1);
    item.remove_prefix(std::min(item.find_first_not_of(' '), item.size()));
    if (auto eq = item.find('='); eq != std::string_view::npos) {
      items.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
  }
  return items;
}

// True when some v1 of the header is the HMAC, under some secret, of "<last t>.<body>".
bool carries_true_signature(std::string_view header, std::string_view body) {
  std::string_view t;
  for (auto [scheme, value] : items_of(header)) {
    if (scheme == "t") {
      t = value;
    }
  }
  for (const auto& secret : secrets) {
    auto mac =
        security::to_hex(security::hmac_sha256(secret, std::string(t) + "." + std::string(body)));
    for (auto [scheme, value] : items_of(header)) {
      if (scheme == "v1" && value == mac) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [header, body] = fuzz::split_first_line(fuzz::as_text(data, size));

  // Whatever the fuzzer sends as a header.
  if (verify(header, body) == signature_verdict::valid) {
    expect(carries_true_signature(header, body), "only a true signature is accepted");
  }

  // A header signed for this body, by the first or the second (rotated) secret, at a time
  // within the tolerance; changes are picked from the input's hash.
  const auto seed = std::hash<std::string_view>{}(fuzz::as_text(data, size));
  const auto& secret = secrets[seed % 2];
  const std::int64_t t =
      now_unix - tolerance + static_cast<std::int64_t>(seed % (2 * tolerance + 1));
  const auto signed_header = webhooks::sign_stripe_payload(body, secret, t);
  expect(verify(signed_header, body) == signature_verdict::valid, "a true signature is accepted");
  expect(verify(signed_header + ",v1=" + std::string(64, '0') + ",v0=00", body) ==
             signature_verdict::valid,
         "any v1 may match, other schemes are ignored");

  const auto flip = static_cast<char>(1 + (seed >> 8) % 255);
  if (!body.empty()) {
    std::string changed(body);
    changed[(seed >> 16) % changed.size()] ^= flip;
    expect(verify(signed_header, changed) == signature_verdict::mismatch,
           "a changed body is refused");
  }
  // "t=1700000000,v1=<64 hex>": change one character of the timestamp or of the signature.
  auto changed_header = signed_header;
  auto at = 2 + (seed >> 16) % (changed_header.size() - 2);
  if (changed_header[at] != ',' && changed_header[at] != '=' && changed_header[at - 1] != ',') {
    changed_header[at] ^= flip;
    expect(verify(changed_header, body) != signature_verdict::valid,
           "a changed timestamp or signature is refused");
  }
  auto v0_only = signed_header;
  v0_only.replace(v0_only.find("v1="), 3, "v0=");
  expect(verify(v0_only, body) == signature_verdict::malformed, "v0 signatures count for nothing");
  return 0;
}

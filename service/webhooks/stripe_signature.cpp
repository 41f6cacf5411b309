#include "webhooks/stripe_signature.hpp"

#include <charconv>
#include <vector>

#include "security/secrets.hpp"

namespace supportd::webhooks {

std::string_view to_string(signature_verdict v) {
  switch (v) {
    case signature_verdict::valid:
      return "valid";
    case signature_verdict::missing_header:
      return "missing_header";
    case signature_verdict::malformed:
      return "malformed";
    case signature_verdict::stale:
      return "stale";
    case signature_verdict::mismatch:
      return "mismatch";
  }
  return "malformed";
}

signature_verdict verify_stripe_signature(std::string_view header, std::string_view body,
                                          std::span<const std::string> secrets,
                                          std::int64_t now_unix, std::int64_t tolerance_seconds) {
  if (header.empty()) {
    return signature_verdict::missing_header;
  }
  std::string_view timestamp;
  std::vector<std::string_view> v1;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header.remove_prefix(comma == std::string_view::npos ? header.size() : comma + 1);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    auto scheme = item.substr(0, eq);
    auto value = item.substr(eq + 1);
    if (scheme == "t") {
      timestamp = value;
    } else if (scheme == "v1") {
      v1.push_back(value);
    }
  }
  std::int64_t t = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), t);
  if (timestamp.empty() || ec != std::errc{} || end != timestamp.data() + timestamp.size() ||
      v1.empty()) {
    return signature_verdict::malformed;
  }
  if (t < now_unix - tolerance_seconds || t > now_unix + tolerance_seconds) {
    return signature_verdict::stale;
  }
  std::string signed_payload(timestamp);
  signed_payload += '.';
  signed_payload += body;
  // Every secret and every signature is tried, so the time taken says nothing about which
  // one matched.
  bool matched = false;
  for (const auto& secret : secrets) {
    auto expected = security::to_hex(security::hmac_sha256(secret, signed_payload));
    for (auto candidate : v1) {
      matched |= security::constant_time_equal(expected, candidate);
    }
  }
  return matched ? signature_verdict::valid : signature_verdict::mismatch;
}

std::string sign_stripe_payload(std::string_view body, std::string_view secret, std::int64_t t) {
  auto timestamp = std::to_string(t);
  auto mac = security::hmac_sha256(secret, timestamp + "." + std::string(body));
  return "t=" + timestamp + ",v1=" + security::to_hex(mac);
}

}  // namespace supportd::webhooks

#include "pledges/sealed_answer.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "pledges/pledge.hpp"
#include "security/secrets.hpp"

namespace supportd::pledges {
namespace {

std::string key_stream(std::string_view idempotency_key, std::string_view purpose,
                       std::string_view pledge_id, std::size_t length) {
  std::string stream;
  const std::string label = std::string(purpose) + "-pad|" + std::string(pledge_id);
  for (int block = 0; stream.size() < length; ++block) {
    stream += security::hmac_sha256(idempotency_key,
                                    block == 0 ? label : label + "|" + std::to_string(block));
  }
  return stream;
}

std::string xor_with(std::string_view text, std::string_view pad) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(out[i] ^ pad[i]);
  }
  return out;
}

constexpr std::string_view sealed_prefix = "sealed:";

// The capabilities of a pledge's first answer: member, the prefix kept in clear, the purpose
// naming its key stream, and whether an answer saved by an older version may hold it in clear
// (cancel links were sealed later; such answers expire within 24 h).
struct sealed_member {
  std::string_view name;
  std::string_view clear_prefix;
  std::string_view purpose;
  bool may_be_clear;
};
constexpr sealed_member sealed_members[] = {
    {"manage_token", manage_token_prefix, "manage-token", false},
    {"cancel_link", "", "cancel-link", true},
};

}  // namespace

std::string seal_answer(boost::json::object answer, std::string_view idempotency_key) {
  const std::string id(answer.at("id").as_string());
  for (const auto& m : sealed_members) {
    auto* value = answer.if_contains(m.name);
    if (value == nullptr || !value->is_string()) {
      continue;
    }
    std::string_view text = value->as_string();
    text.remove_prefix(std::min(text.size(), m.clear_prefix.size()));
    auto pad = key_stream(idempotency_key, m.purpose, id, text.size());
    *value = std::string(sealed_prefix) + security::to_hex(xor_with(text, pad));
  }
  return boost::json::serialize(answer);
}

std::optional<std::string> unseal_answer(std::string_view saved, std::string_view idempotency_key) {
  boost::system::error_code ec;
  auto body = boost::json::parse(saved, ec);
  auto* o = !ec && body.is_object() ? &body.as_object() : nullptr;
  auto* id = o != nullptr ? o->if_contains("id") : nullptr;
  if (id == nullptr || !id->is_string() || o->if_contains("manage_token") == nullptr) {
    return std::nullopt;
  }
  const std::string pledge_id(id->as_string());
  for (const auto& m : sealed_members) {
    auto* value = o->if_contains(m.name);
    if (value == nullptr) {
      continue;
    }
    std::string_view sealed = value->is_string() ? value->as_string() : std::string_view();
    if (m.may_be_clear && value->is_string() && !sealed.starts_with(sealed_prefix)) {
      continue;
    }
    auto bytes = sealed.starts_with(sealed_prefix)
                     ? security::from_hex(sealed.substr(sealed_prefix.size()))
                     : std::nullopt;
    if (!bytes) {
      return std::nullopt;
    }
    auto pad = key_stream(idempotency_key, m.purpose, pledge_id, bytes->size());
    *value = std::string(m.clear_prefix) + xor_with(*bytes, pad);
  }
  return boost::json::serialize(*o);
}

}  // namespace supportd::pledges

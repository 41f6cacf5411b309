#include "pledges/pledge_reader.hpp"

#include "security/data_keys.hpp"

namespace supportd::pledges {
namespace {

// The associated data of each blob: the pledge and what the blob is.
std::string bound_to(std::string_view pledge_id, std::string_view what) {
  std::string out(pledge_id);
  out += '|';
  out += what;
  return out;
}

}  // namespace

std::string seal_email(const security::data_keys& keys, std::string_view pledge_id,
                       std::string_view email) {
  return keys.seal(email, bound_to(pledge_id, "email"));
}

sealed_reader seal_reader(const security::data_keys& keys, std::string_view pledge_id,
                          std::string_view email, std::string_view name) {
  sealed_reader out;
  out.email = seal_email(keys, pledge_id, email);
  if (!name.empty()) {
    out.name = keys.seal(name, bound_to(pledge_id, "name"));
  }
  return out;
}

std::optional<message_reader> open_reader(const security::data_keys& keys,
                                          std::string_view pledge_id, std::string_view sealed_email,
                                          std::string_view sealed_name) {
  if (sealed_email.empty()) {
    return std::nullopt;
  }
  auto email = keys.open(sealed_email, bound_to(pledge_id, "email"));
  if (!email) {
    return std::nullopt;
  }
  message_reader reader;
  reader.email = std::move(*email);
  if (!sealed_name.empty()) {
    reader.name = keys.open(sealed_name, bound_to(pledge_id, "name")).value_or("");
  }
  return reader;
}

}  // namespace supportd::pledges

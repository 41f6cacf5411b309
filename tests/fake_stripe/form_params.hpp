// The parameters of a Stripe API request: an application/x-www-form-urlencoded body (or query)
// with bracketed keys, `line_items[0][price_data][currency]=usd`, as stripe-node and curl send
// them.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fake_stripe {

// Decodes %XX escapes and '+' as space; nullopt on a malformed escape.
std::optional<std::string> decode_form_component(std::string_view encoded);

// The decoded parameters, by their full bracketed key. A key given twice keeps its last value;
// `expand[]=a&expand[]=b` keys are numbered as `expand[0]`, `expand[1]`.
class form_params {
 public:
  // nullopt when the text is not valid form encoding.
  static std::optional<form_params> parse(std::string_view text);

  const std::string* find(const std::string& key) const;
  bool contains(const std::string& key) const { return find(key) != nullptr; }
  // Whether any key is `prefix` itself or starts with `prefix[`.
  bool has_under(std::string_view prefix) const;
  // The keys one level below `prefix` (`metadata` → the metadata keys), in order.
  std::map<std::string, std::string> children(std::string_view prefix) const;

  const std::map<std::string, std::string>& flat() const { return flat_; }

  // The parameters as Stripe's logs show them: nested objects, with an object whose keys are
  // 0, 1, … n-1 turned into an array (except under `metadata`, whose keys are the caller's).
  boost::json::value nested() const;

  bool operator==(const form_params&) const = default;

 private:
  std::map<std::string, std::string> flat_;
};

// The key's bracket segments: `a[b][0]` → {"a", "b", "0"}; nullopt for unbalanced brackets.
std::optional<std::vector<std::string>> split_key(std::string_view key);

}  // namespace fake_stripe

// application/x-www-form-urlencoded bodies, as plain HTML forms post them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace supportd::http {

// Decodes %XX escapes and '+' as space; nullopt on a malformed escape.
std::optional<std::string> decode_form_component(std::string_view encoded);

// Calls `field(name, value)` for every pair, decoded, in order. False when the body is malformed
// (then some fields may have been passed already).
bool for_each_form_field(std::string_view body,
                         const std::function<void(std::string_view, std::string_view)>& field);

// The first value of `name`, decoded; empty when absent or malformed.
std::string form_field(std::string_view body, std::string_view name);

// The encoding of one component: unreserved characters as they are, space as '+', the rest %XX.
std::string encode_form_component(std::string_view text);

}  // namespace supportd::http

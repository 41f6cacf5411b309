#include "form_params.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <vector>

namespace fake_stripe {
namespace json = boost::json;

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Turns objects keyed 0..n-1 into arrays, depth first.
json::value arrays_from_indexed_objects(json::value v, bool is_metadata) {
  if (!v.is_object()) {
    return v;
  }
  auto& object = v.as_object();
  for (auto& member : object) {
    member.value() =
        arrays_from_indexed_objects(std::move(member.value()), member.key() == "metadata");
  }
  if (is_metadata || object.empty()) {
    return v;
  }
  for (std::size_t i = 0; i < object.size(); ++i) {
    if (!object.contains(std::to_string(i))) {
      return v;
    }
  }
  json::array array;
  for (std::size_t i = 0; i < object.size(); ++i) {
    array.push_back(object.at(std::to_string(i)));
  }
  return array;
}

}  // namespace

std::optional<std::string> decode_form_component(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= encoded.size()) {
        return std::nullopt;
      }
      int hi = hex_digit(encoded[i + 1]);
      int lo = hex_digit(encoded[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::vector<std::string>> split_key(std::string_view key) {
  std::vector<std::string> segments;
  auto open = key.find('[');
  segments.emplace_back(key.substr(0, open));
  while (open != std::string_view::npos) {
    auto close = key.find(']', open);
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    segments.emplace_back(key.substr(open + 1, close - open - 1));
    if (close + 1 == key.size()) {
      break;
    }
    if (key[close + 1] != '[') {
      return std::nullopt;
    }
    open = close + 1;
  }
  return segments;
}

std::optional<form_params> form_params::parse(std::string_view text) {
  form_params params;
  // `expand[]` style keys get the next free index of their prefix.
  std::map<std::string, int> next_index;
  while (!text.empty()) {
    auto amp = text.find('&');
    auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    auto eq = pair.find('=');
    auto name = decode_form_component(pair.substr(0, eq));
    auto value = decode_form_component(eq == std::string_view::npos ? std::string_view{}
                                                                    : pair.substr(eq + 1));
    if (!name || !value || name->empty()) {
      return std::nullopt;
    }
    for (auto pos = name->find("[]"); pos != std::string::npos; pos = name->find("[]")) {
      auto prefix = name->substr(0, pos);
      auto index = std::to_string(next_index[prefix]++);
      name->replace(pos, 2, "[" + index + "]");
    }
    params.flat_[*name] = std::move(*value);
  }
  return params;
}

const std::string* form_params::find(const std::string& key) const {
  auto it = flat_.find(key);
  return it == flat_.end() ? nullptr : &it->second;
}

bool form_params::has_under(std::string_view prefix) const {
  auto it = flat_.lower_bound(std::string(prefix));
  for (; it != flat_.end(); ++it) {
    std::string_view key = it->first;
    if (key.substr(0, prefix.size()) != prefix) {
      return false;
    }
    if (key.size() == prefix.size() || key[prefix.size()] == '[') {
      return true;
    }
  }
  return false;
}

std::map<std::string, std::string> form_params::children(std::string_view prefix) const {
  std::map<std::string, std::string> out;
  std::string start = std::string(prefix) + "[";
  for (auto it = flat_.lower_bound(start); it != flat_.end(); ++it) {
    std::string_view key = it->first;
    if (key.substr(0, start.size()) != start) {
      break;
    }
    auto rest = key.substr(start.size());
    auto close = rest.find(']');
    if (close != std::string_view::npos && close + 1 == rest.size()) {
      out.emplace(std::string(rest.substr(0, close)), it->second);
    }
  }
  return out;
}

json::value form_params::nested() const {
  json::object root;
  for (const auto& [key, value] : flat_) {
    auto segments = split_key(key);
    if (!segments) {
      root[key] = value;
      continue;
    }
    json::object* at = &root;
    for (std::size_t i = 0; i + 1 < segments->size(); ++i) {
      auto& slot = (*at)[(*segments)[i]];
      if (!slot.is_object()) {
        slot = json::object();
      }
      at = &slot.as_object();
    }
    (*at)[segments->back()] = value;
  }
  return arrays_from_indexed_objects(std::move(root), false);
}

}  // namespace fake_stripe

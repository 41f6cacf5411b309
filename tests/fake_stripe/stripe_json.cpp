#include "stripe_json.hpp"

#include <boost/json/serialize.hpp>

namespace fake_stripe {
namespace json = boost::json;

namespace {

void write(std::string& out, const json::value& v, int indent) {
  auto newline = [&out](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(level) * 2, ' ');
  };
  if (v.is_object()) {
    const auto& object = v.get_object();
    if (object.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& member : object) {
      if (!first) {
        out += ',';
      }
      first = false;
      newline(indent + 1);
      out += json::serialize(json::string(member.key()));
      out += ": ";
      write(out, member.value(), indent + 1);
    }
    newline(indent);
    out += '}';
  } else if (v.is_array()) {
    const auto& array = v.get_array();
    if (array.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& element : array) {
      if (!first) {
        out += ',';
      }
      first = false;
      newline(indent + 1);
      write(out, element, indent + 1);
    }
    newline(indent);
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string to_stripe_json(const json::value& v) {
  std::string out;
  write(out, v, 0);
  return out;
}

}  // namespace fake_stripe

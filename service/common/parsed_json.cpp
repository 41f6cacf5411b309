#include "common/parsed_json.hpp"

#include <boost/json/parse.hpp>

namespace supportd::common {

parsed_json::parsed_json(std::string_view text)
    : memory_(buffer_.data(), buffer_.size()), value_(&memory_) {
  boost::system::error_code ec;
  value_ = boost::json::parse(text, ec, &memory_);
  ok_ = !ec;
}

}  // namespace supportd::common

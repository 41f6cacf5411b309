#include "support/sent_requests.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace supportd::test {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

void sent_requests::add(std::string_view bytes) {
  if (part_ == part::unreadable) {
    return;
  }
  pending_.append(bytes);
  advance();
}

request_line sent_requests::next_answered() {
  if (unanswered_.empty()) {
    return {};
  }
  auto next = std::move(unanswered_.front());
  unanswered_.pop_front();
  return next;
}

void sent_requests::advance() {
  for (;;) {
    switch (part_) {
      case part::line: {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        while (pending_.starts_with("\r\n")) {
          pending_.erase(0, 2);
        }
        auto end = pending_.find("\r\n");
        if (end == std::string::npos) {
          return;
        }
        std::string_view line(pending_.data(), end);
        auto first = line.find(' ');
        auto last = line.rfind(' ');
        request_line r;
        r.method = std::string(line.substr(0, first));
        if (first != std::string_view::npos && last > first) {
          r.target = std::string(line.substr(first + 1, last - first - 1));
        }
        unanswered_.push_back(std::move(r));
        pending_.erase(0, end + 2);
        chunked_ = false;
        body_left_ = 0;
        part_ = part::header;
        break;
      }
      case part::header: {
        auto end = pending_.find("\r\n");
        if (end == std::string::npos) {
          return;
        }
        if (end == 0) {
          pending_.erase(0, 2);
          part_ = chunked_ ? part::chunk_size : body_left_ > 0 ? part::body : part::line;
          break;
        }
        std::string_view field(pending_.data(), end);
        auto colon = field.find(':');
        if (colon != std::string_view::npos) {
          auto name = lower(trimmed(field.substr(0, colon)));
          auto value = lower(trimmed(field.substr(colon + 1)));
          if (name == "transfer-encoding") {
            chunked_ = value.ends_with("chunked");
          } else if (name == "content-length" && body_left_ == 0) {
            std::from_chars(value.data(), value.data() + value.size(), body_left_);
          }
        }
        pending_.erase(0, end + 2);
        break;
      }
      case part::body: {
        auto n = std::min(body_left_, pending_.size());
        pending_.erase(0, n);
        body_left_ -= n;
        if (body_left_ > 0) {
          return;
        }
        part_ = part::line;
        break;
      }
      case part::chunk_size: {
        auto end = pending_.find("\r\n");
        if (end == std::string::npos) {
          return;
        }
        std::size_t size = 0;
        auto [ptr, ec] = std::from_chars(pending_.data(), pending_.data() + end, size, 16);
        if (ec != std::errc{} || ptr == pending_.data()) {
          part_ = part::unreadable;
          pending_.clear();
          return;
        }
        pending_.erase(0, end + 2);
        if (size == 0) {
          part_ = part::trailer;
        } else {
          body_left_ = size + 2;  // the data and its CRLF
          part_ = part::chunk_data;
        }
        break;
      }
      case part::chunk_data: {
        auto n = std::min(body_left_, pending_.size());
        pending_.erase(0, n);
        body_left_ -= n;
        if (body_left_ > 0) {
          return;
        }
        part_ = part::chunk_size;
        break;
      }
      case part::trailer: {
        auto end = pending_.find("\r\n");
        if (end == std::string::npos) {
          return;
        }
        pending_.erase(0, end + 2);
        if (end == 0) {
          part_ = part::line;
        }
        break;
      }
      case part::unreadable:
        return;
    }
  }
}

}  // namespace supportd::test

// The requests a raw_client sent, read back from the bytes it wrote: their request lines, in
// order, so that each response it reads can be paired with the request it answers (HTTP/1.1
// answers in order, pipelined or not: RFC 9112 §9.3.2). Framing follows RFC 9112 §6: a chunked
// body, else Content-Length, else none. Bytes that cannot be framed end the reading: the server
// refuses them and closes the connection, so nothing after them is answered.
#pragma once

#include <deque>
#include <string>
#include <string_view>

namespace supportd::test {

struct request_line {
  std::string method;
  std::string target;
};

class sent_requests {
 public:
  // More bytes as they were sent (a request may come in pieces).
  void add(std::string_view bytes);
  // The oldest request line not answered yet, taken off the list; empty parts when the bytes
  // sent hold none (the server answered a request line it could not read, or nothing).
  request_line next_answered();

 private:
  enum class part { line, header, body, chunk_size, chunk_data, trailer, unreadable };
  void advance();

  std::string pending_;
  part part_ = part::line;
  std::size_t body_left_ = 0;
  bool chunked_ = false;
  std::deque<request_line> unanswered_;
};

}  // namespace supportd::test

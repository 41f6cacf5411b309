// notify_receiver: a fast stand-in for the site's email service, for benchmarks of supportd's
// reminder deliveries (Standard Webhooks POSTs). Plain HTTP/1.1 over TCP with keep-alive and
// pipelining, Content-Length bodies only; every request is taken as one delivery and answered
// `204 No Content`. It counts deliveries and distinct `webhook-id`s (a duplicate delivery shows
// as received > distinct) and, given `--secret`, checks each `webhook-signature` with supportd's
// own verifier (still answering 204, so a bad signature never turns into a retry storm).
//
//   notify_receiver [--port N] [--threads N] [--secret whsec_... ...]
//
// Prints `listening <port>` once bound, then {"received":N,"distinct":M,"bad_signature":K}
// every second and once more on SIGTERM or SIGINT. A benchmark tool, not a test.
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "notify/standard_webhooks.hpp"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t max_head_size = 64 * 1024;
constexpr std::size_t max_body_size = 16 * 1024 * 1024;
constexpr std::size_t initial_buffer_size = 64 * 1024;

constexpr std::string_view no_content = "HTTP/1.1 204 No Content\r\n\r\n";
constexpr std::string_view no_content_keep_alive =
    "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n";
constexpr std::string_view no_content_close =
    "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
constexpr std::string_view bad_request =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

// What the receiver has seen. Safe to use from any thread: the counters are atomic and the
// webhook-ids are spread over shards, each behind its own mutex, so threads seldom wait.
class delivery_tally {
 public:
  void count(std::string_view webhook_id, bool signature_ok) {
    received_.fetch_add(1, std::memory_order_relaxed);
    if (!signature_ok) {
      bad_signature_.fetch_add(1, std::memory_order_relaxed);
    }
    if (webhook_id.empty()) {
      return;
    }
    const auto hash = std::hash<std::string_view>{}(webhook_id);
    auto& shard = shards_[hash % shard_count];
    bool inserted;
    {
      std::lock_guard lock(shard.mutex);
      inserted = shard.ids.emplace(webhook_id).second;
    }
    if (inserted) {
      distinct_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  std::string totals_json() const {
    return "{\"received\":" + std::to_string(received_.load(std::memory_order_relaxed)) +
           ",\"distinct\":" + std::to_string(distinct_.load(std::memory_order_relaxed)) +
           ",\"bad_signature\":" + std::to_string(bad_signature_.load(std::memory_order_relaxed)) +
           "}";
  }

 private:
  static constexpr std::size_t shard_count = 64;
  struct shard {
    std::mutex mutex;
    std::unordered_set<std::string> ids;
  };
  std::array<shard, shard_count> shards_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> distinct_{0};
  std::atomic<std::uint64_t> bad_signature_{0};
};

// The parts of a request head the receiver uses; the views point into the connection's buffer.
struct request_head {
  std::size_t head_size = 0;  // through the blank line
  std::size_t body_size = 0;
  bool keep_alive = true;
  bool http_1_0 = false;
  std::string_view webhook_id;
  std::string_view webhook_timestamp;
  std::string_view webhook_signature;
};

enum class parse_status { incomplete, complete, bad };

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Whether a comma-separated Connection header lists `token`.
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) {
      return true;
    }
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  return false;
}

// Parses the head at the start of `data`, if all of it is there. Anything this receiver cannot
// frame safely is bad: Transfer-Encoding (no chunked bodies here), a Content-Length that is not
// one plain number, obsolete line folding, or a version other than HTTP/1.0 and 1.1.
parse_status parse_head(std::string_view data, request_head& head) {
  const auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    return data.size() > max_head_size ? parse_status::bad : parse_status::incomplete;
  }
  head = request_head{};
  head.head_size = end + 4;
  auto lines = data.substr(0, end + 2);

  const auto line_end = lines.find("\r\n");
  const auto request_line = lines.substr(0, line_end);
  lines.remove_prefix(line_end + 2);
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  if (first_space == 0 || first_space == std::string_view::npos || last_space == first_space + 1 ||
      last_space == first_space) {
    return parse_status::bad;
  }
  const auto version = request_line.substr(last_space + 1);
  if (version == "HTTP/1.0") {
    head.http_1_0 = true;
    head.keep_alive = false;
  } else if (version != "HTTP/1.1") {
    return parse_status::bad;
  }

  bool has_length = false;
  while (!lines.empty()) {
    const auto next = lines.find("\r\n");
    const auto line = lines.substr(0, next);
    lines.remove_prefix(next + 2);
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos || line.front() == ' ' ||
        line.front() == '\t' || line.substr(0, colon).find_first_of(" \t") != line.npos) {
      return parse_status::bad;
    }
    const auto name = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t length = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size() ||
          length > max_body_size || (has_length && length != head.body_size)) {
        return parse_status::bad;
      }
      has_length = true;
      head.body_size = length;
    } else if (iequals(name, "transfer-encoding")) {
      return parse_status::bad;
    } else if (iequals(name, "connection")) {
      if (lists_token(value, "close")) {
        head.keep_alive = false;
      } else if (lists_token(value, "keep-alive")) {
        head.keep_alive = true;
      }
    } else if (iequals(name, "webhook-id")) {
      head.webhook_id = value;
    } else if (iequals(name, "webhook-timestamp")) {
      head.webhook_timestamp = value;
    } else if (iequals(name, "webhook-signature")) {
      head.webhook_signature = value;
    }
  }
  return parse_status::complete;
}

bool signature_matches(const request_head& head, std::string_view body,
                       const std::vector<std::string>& keys) {
  std::int64_t timestamp = 0;
  const auto text = head.webhook_timestamp;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), timestamp);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) {
    return false;
  }
  return supportd::notify::verify_signature(head.webhook_signature, head.webhook_id, timestamp,
                                            body, keys);
}

// One connection: reads whatever has arrived, answers every complete request in it with one
// write (so pipelined requests cost one syscall each way), and keeps the unfinished tail for the
// next read. A head or body split across reads just waits for more bytes.
net::awaitable<void> serve(tcp::socket socket, const std::vector<std::string>& keys,
                           delivery_tally& tally) {
  std::vector<char> buffer(initial_buffer_size);
  std::size_t begin = 0;   // first byte not yet answered
  std::size_t end = 0;     // one past the last byte read
  std::size_t needed = 1;  // bytes from `begin` the next request needs before it can be parsed
  std::string out;
  error_code ec;
  for (;;) {
    // Make room for what the next request needs: move the tail to the front, then grow.
    if (begin + needed > buffer.size() || end == buffer.size()) {
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
      if (needed > buffer.size() || end == buffer.size()) {
        buffer.resize(std::max(needed, buffer.size() * 2));
      }
    }
    const auto n =
        co_await socket.async_read_some(net::buffer(buffer.data() + end, buffer.size() - end),
                                        net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return;  // the peer closed, reset or the receiver is stopping
    }
    end += n;

    bool close = false;
    while (!close) {
      const std::string_view pending(buffer.data() + begin, end - begin);
      request_head head;
      const auto status = parse_head(pending, head);
      if (status == parse_status::incomplete) {
        needed = pending.size() + 1;
        break;
      }
      if (status == parse_status::bad) {
        out += bad_request;
        close = true;
        break;
      }
      const auto total = head.head_size + head.body_size;
      if (pending.size() < total) {
        needed = total;
        break;
      }
      const auto body = pending.substr(head.head_size, head.body_size);
      tally.count(head.webhook_id, keys.empty() || signature_matches(head, body, keys));
      if (!head.keep_alive) {
        out += no_content_close;
        close = true;
      } else {
        out += head.http_1_0 ? no_content_keep_alive : no_content;
      }
      begin += total;
      needed = 1;
    }
    if (begin == end) {
      begin = end = 0;
    }

    if (!out.empty()) {
      co_await net::async_write(socket, net::buffer(out),
                                net::redirect_error(net::use_awaitable, ec));
      out.clear();
      if (ec) {
        co_return;
      }
    }
    if (close) {
      socket.shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

// Accepts on the first context and hands each connection to the next context in turn, so each
// thread runs its own connections without locks.
net::awaitable<void> accept_loop(tcp::acceptor& acceptor,
                                 std::vector<std::unique_ptr<net::io_context>>& contexts,
                                 const std::vector<std::string>& keys, delivery_tally& tally) {
  std::size_t next = 0;
  for (;;) {
    auto& context = *contexts[next];
    next = (next + 1) % contexts.size();
    tcp::socket socket(context);
    error_code ec;
    co_await acceptor.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      continue;  // e.g. out of file descriptors for a moment
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(context, serve(std::move(socket), keys, tally), net::detached);
  }
}

net::awaitable<void> report_every_second(const delivery_tally& tally) {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(net::use_awaitable);
    std::printf("%s\n", tally.totals_json().c_str());
    std::fflush(stdout);
  }
}

struct options {
  unsigned short port = 0;
  unsigned threads = std::max(1U, std::thread::hardware_concurrency());
  std::vector<std::string> keys;
};

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr const char* usage =
    "usage: notify_receiver [--port N] [--threads N] [--secret whsec_...]\n";

options parse_options(int argc, char** argv) {
  options parsed;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    if (name == "--help" || name == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw usage_error(name + " needs a value");
    }
    unsigned number = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    const bool numeric = !value.empty() && ec == std::errc{} && ptr == value.data() + value.size();
    if (name == "--port" && numeric && number <= 65535) {
      parsed.port = static_cast<unsigned short>(number);
    } else if (name == "--threads" && numeric && number >= 1) {
      parsed.threads = number;
    } else if (name == "--secret") {
      auto key = supportd::notify::decode_webhook_secret(value);
      if (!key) {
        throw usage_error("--secret must be whsec_ followed by padded base64");
      }
      parsed.keys.push_back(std::move(*key));
    } else {
      throw usage_error("bad flag or value: " + name);
    }
  }
  return parsed;
}

int run(const options& opts) {
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  for (unsigned i = 0; i < opts.threads; ++i) {
    contexts.push_back(std::make_unique<net::io_context>(1));
    guards.push_back(net::make_work_guard(*contexts.back()));
  }
  auto& main_context = *contexts.front();

  tcp::acceptor acceptor(main_context);
  const tcp::endpoint endpoint(net::ip::address_v4::loopback(), opts.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);

  delivery_tally tally;
  net::co_spawn(main_context, accept_loop(acceptor, contexts, opts.keys, tally), net::detached);
  net::co_spawn(main_context, report_every_second(tally), net::detached);

  // The last totals go out before anything stops, so a benchmark can read them after SIGTERM.
  net::signal_set signals(main_context, SIGINT, SIGTERM);
  signals.async_wait([&](const error_code&, int) {
    std::printf("%s\n", tally.totals_json().c_str());
    std::fflush(stdout);
    for (auto& context : contexts) {
      context->stop();
    }
  });

  std::printf("listening %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts.size(); ++i) {
    threads.emplace_back([&context = *contexts[i]] { context.run(); });
  }
  main_context.run();
  for (auto& thread : threads) {
    thread.join();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const usage_error& e) {
    std::fprintf(stderr, "notify_receiver: %s\n%s", e.what(), usage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "notify_receiver: %s\n", e.what());
    return 1;
  }
}

#include "support/api_contract.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "support/raw_client.hpp"

extern char** environ;

namespace supportd::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The checker is one Node process shared by the test processes of a run (check_server.mjs says
// why), found at a socket in the temp dir. Its name changes with what the checker would do
// differently: its scripts, the description it reads, the user.
std::string checker_name() {
  namespace fs = std::filesystem;
  const fs::path script = API_CONTRACT_CHECKER;
  std::string identity = script.string() + "\n" + std::to_string(::getuid());
  const char* description = std::getenv("SUPPORTD_API_DESCRIPTION");
  identity += "\n" + std::string(description == nullptr ? "" : description);
  for (const auto& file : {script, script.parent_path() / "api_contract.mjs"}) {
    std::error_code ec;
    identity += "\n" + std::to_string(fs::last_write_time(file, ec).time_since_epoch().count());
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(identity));
  return (fs::temp_directory_path() / (std::string("supportd-api-contract-") + hex)).string();
}

int connect_to(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) {
    return -1;
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Starts the shared checker, detached: its own session, no terminal, output to `log`, nothing
// of this process open in it (a socket or a pipe to supportd kept open there would outlive what
// the test closes). 0 when it could not be started.
pid_t start_checker(const std::string& socket, const std::string& log, std::string& why) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  std::vector<std::string> argv = {"node", API_CONTRACT_CHECKER, socket};
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  int failed = ::posix_spawnp(&pid, "node", &actions, &attributes, args.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) {
    why = std::string("the contract checker needs node on PATH: ") + std::strerror(failed);
    return 0;
  }
  return pid;
}

// A first answer may wait for Node to load Ajv and the description (under a second on an idle
// machine, a few on a busy one); later ones take well under a millisecond.
constexpr auto connect_within = 60s;
constexpr auto answer_within = 60s;

struct verdict {
  std::vector<std::string> errors;
  std::string operation;
};

// This process's connection to the shared checker, made on first use and kept for the process's
// life; at exit it appends this process's tally ($SUPPORTD_CONTRACT_TALLY).
class contract_checker {
 public:
  static contract_checker& instance() {
    static contract_checker checker;
    return checker;
  }

  contract_checker(const contract_checker&) = delete;
  contract_checker& operator=(const contract_checker&) = delete;

  verdict check(const json::object& request, bool delivery) {
    std::lock_guard lock(mutex_);
    if (fd_ < 0 && broken_.empty()) {
      connect();
    }
    if (!broken_.empty()) {
      return {{broken_}, {}};
    }
    auto line = json::serialize(request) + "\n";
    std::string answer;
    if (!write_all(line) || !read_line(answer, answer_within)) {
      // A checker that had just reached its idle time when this process connected has exited:
      // once, start another.
      ::close(fd_);
      fd_ = -1;
      buffered_.clear();
      child_ = 0;
      connect();
      if (!broken_.empty()) {
        return {{broken_}, {}};
      }
      if (!write_all(line) || !read_line(answer, answer_within)) {
        return fail("the contract checker stopped answering; its output is in " + log_file());
      }
    }
    ++(delivery ? deliveries_ : responses_);
    boost::system::error_code ec;
    auto parsed = json::parse(answer, ec);
    if (ec || !parsed.is_object()) {
      return fail("the contract checker's verdict is not JSON: " + answer);
    }
    verdict v;
    const auto& object = parsed.as_object();
    if (auto* errors = object.if_contains("errors"); errors && errors->is_array()) {
      for (const auto& e : errors->as_array()) {
        v.errors.push_back(e.is_string() ? std::string(e.as_string()) : json::serialize(e));
      }
    }
    if (auto* operation = object.if_contains("operation"); operation && operation->is_string()) {
      v.operation = operation->as_string();
    }
    return v;
  }

  // Starts connecting (and the checker, if none runs) without waiting for it.
  void prepare() {
    std::lock_guard lock(mutex_);
    if (fd_ < 0 && broken_.empty() && child_ == 0) {
      name_ = checker_name();
      if ((fd_ = connect_to(socket_path())) < 0) {
        child_ = start_checker(socket_path(), log_file(), broken_);
      }
    }
  }

 private:
  contract_checker() {
    if (const auto* test = ::testing::UnitTest::GetInstance()->current_test_info()) {
      label_ = std::string(test->test_suite_name()) + "." + test->name();
    }
  }

  ~contract_checker() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    const char* tally = std::getenv("SUPPORTD_CONTRACT_TALLY");
    if (tally != nullptr && *tally != '\0' && (responses_ > 0 || deliveries_ > 0)) {
      std::ofstream(tally, std::ios::app)
          << "responses=" << responses_ << " deliveries=" << deliveries_ << " " << label_ << "\n";
    }
  }

  // Connects, starting the checker first when none serves the name yet; waits for it to listen.
  void connect() {
    if (name_.empty()) {
      name_ = checker_name();
    }
    auto deadline = std::chrono::steady_clock::now() + connect_within;
    while ((fd_ = connect_to(socket_path())) < 0) {
      if (child_ == 0) {
        child_ = start_checker(socket_path(), log_file(), broken_);
        if (child_ == 0) {
          return;
        }
      }
      // It exits 0 at once when another process's checker won the name: that one will answer.
      int status = 0;
      if (child_ > 0 && ::waitpid(child_, &status, WNOHANG) == child_) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          broken_ = "the contract checker exited at start; its output is in " + log_file();
          return;
        }
        child_ = 0;  // start another if the winner is gone too
      }
      if (std::chrono::steady_clock::now() > deadline) {
        broken_ = "the contract checker did not start listening; its output is in " + log_file();
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  std::string socket_path() const { return name_ + ".sock"; }
  std::string log_file() const { return name_ + ".log"; }

  verdict fail(std::string why) {
    broken_ = std::move(why);
    return {{broken_}, {}};
  }

  bool write_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  bool read_line(std::string& line, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto end = buffered_.find('\n'); end != std::string::npos) {
        line = buffered_.substr(0, end);
        buffered_.erase(0, end + 1);
        return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) {
        return false;
      }
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) {
        continue;
      }
      if (ready <= 0) {
        return false;
      }
      char chunk[4096];
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      buffered_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  std::mutex mutex_;
  std::string name_;  // the checker's socket and log, less their extensions
  std::string label_ = "c++";
  int fd_ = -1;
  pid_t child_ = 0;     // the checker this process started and has not seen exit; 0: none
  std::string broken_;  // why it cannot check; every check then fails saying so
  std::string buffered_;
  std::size_t responses_ = 0;
  std::size_t deliveries_ = 0;
};

// With $SUPPORTD_CONTRACT_REPORT naming a file, each failed check as a JSON line (the same as
// the Node suites write, api_contract.mjs): what the description lacks, over a whole run.
void report(json::object entry, const verdict& v) {
  const char* file = std::getenv("SUPPORTD_CONTRACT_REPORT");
  if (file == nullptr || *file == '\0') {
    return;
  }
  entry["operation"] = v.operation.empty() ? json::value(nullptr) : json::value(v.operation);
  json::array errors;
  for (const auto& e : v.errors) {
    errors.emplace_back(e);
  }
  entry["errors"] = std::move(errors);
  std::ofstream(file, std::ios::app) << json::serialize(entry) << "\n";
}

json::object header_object(const std::map<std::string, std::string>& headers) {
  json::object out;
  for (const auto& [name, value] : headers) {
    out[name] = value;
  }
  return out;
}

// The start of a body, for a failure message.
std::string excerpt(std::string_view body) {
  constexpr std::size_t shown = 600;
  std::string out(body.substr(0, shown));
  if (body.size() > shown) {
    out += "… (" + std::to_string(body.size()) + " bytes)";
  }
  return out;
}

}  // namespace

void prepare_api_contract() {
  contract_checker::instance().prepare();
}

void expect_documented_response(std::string_view method, std::string_view target,
                                const raw_response& response) {
  json::object request;
  request["kind"] = "response";
  request["method"] = method;
  request["target"] = target;
  request["status"] = response.status;
  request["headers"] = header_object(response.headers);
  request["body"] = response.body;
  auto v = contract_checker::instance().check(request, false);
  if (v.errors.empty()) {
    return;
  }
  report(
      {{"kind", "response"}, {"method", method}, {"target", target}, {"status", response.status}},
      v);
  std::string message =
      "supportd's answer is not what proto/openapi.yaml documents:\n  " + std::string(method) +
      " " + std::string(target) + " → " + std::to_string(response.status) + " " +
      response.header("content-type") +
      (v.operation.empty() ? " (no documented operation)" : " (operation " + v.operation + ")");
  for (const auto& e : v.errors) {
    message += "\n  - " + e;
  }
  message += "\n  body: " + excerpt(response.body);
  ADD_FAILURE() << message;
}

void expect_documented_delivery(const std::map<std::string, std::string>& headers,
                                std::string_view body) {
  json::object request;
  request["kind"] = "delivery";
  request["headers"] = header_object(headers);
  request["body"] = body;
  auto v = contract_checker::instance().check(request, true);
  if (v.errors.empty()) {
    return;
  }
  report({{"kind", "delivery"}}, v);
  std::string message = "supportd's delivery is not what proto/events/ documents:";
  for (const auto& e : v.errors) {
    message += "\n  - " + e;
  }
  message += "\n  body: " + excerpt(body);
  ADD_FAILURE() << message;
}

}  // namespace supportd::test

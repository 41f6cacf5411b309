// The real supportd binary with a real Redis, spoken to over sockets as clients would.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/raw_client.hpp"
#include "support/redis_server.hpp"
#include "support/supportd_process.hpp"
#include "support/temp_dir.hpp"

namespace supportd::test {
namespace {

using namespace std::chrono_literals;

class Server : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    service = std::make_unique<supportd_process>(redis.url(), std::move(extra));
    ASSERT_TRUE(service->wait_ready(10s));
  }

  bool has_log_line(const std::string& fragment, std::chrono::milliseconds timeout = 5s) {
    return service->process()
        .wait_for_line([&](const std::string& l) { return l.find(fragment) != std::string::npos; },
                       timeout)
        .has_value();
  }

  redis_server redis;
  std::unique_ptr<supportd_process> service;
};

TEST_F(Server, HealthOverHttpsWithHstsAndKeepAlive) {
  start();
  raw_client client(service->https_port(), true);
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {  // three requests, one connection
    auto r = client.get("/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"status":"ok"})");
    EXPECT_EQ(r->header("strict-transport-security"), "max-age=63072000");
    EXPECT_EQ(r->header("x-request-id").size(), 32u);
  }
  raw_client plain(service->http_port(), false);
  auto r = plain.get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("strict-transport-security"), "");  // HSTS only on HTTPS
}

TEST_F(Server, OnlyTls12And13WithModernCiphers) {
  start();
  auto handshake = [&](const std::string& options) {
    std::string command =
        "openssl s_client -connect 127.0.0.1:" + std::to_string(service->https_port()) + " " +
        options + " </dev/null >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  };
  EXPECT_TRUE(handshake("-tls1_3"));
  EXPECT_TRUE(handshake("-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256"));
  EXPECT_FALSE(handshake("-tls1_1 -cipher DEFAULT:@SECLEVEL=0"));
  EXPECT_FALSE(handshake("-tls1_2 -cipher AES128-SHA:@SECLEVEL=0"));  // no ECDHE, no AEAD
  EXPECT_FALSE(
      handshake("-tls1_2 -cipher ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"));
}

TEST_F(Server, RequestIdIsEchoedWhenSaneAndLoggedWithoutSecrets) {
  start();
  raw_client client(service->http_port(), false);
  auto r = client.get("/healthz?token=topsecret",
                      "X-Request-Id: trace-abc.123\r\nAuthorization: Bearer hunter2\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("x-request-id"), "trace-abc.123");
  auto bad = client.get("/healthz", "X-Request-Id: <script>\r\n");
  ASSERT_TRUE(bad);
  EXPECT_NE(bad->header("x-request-id"), "<script>");

  ASSERT_TRUE(has_log_line(R"("request_id":"trace-abc.123")"));
  for (const auto& line : service->process().lines()) {
    EXPECT_EQ(line.find("topsecret"), std::string::npos) << line;
    EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
  }
  auto line = *service->process().wait_for_line(
      [](const std::string& l) { return l.find("trace-abc.123") != std::string::npos; }, 1s);
  auto json = boost::json::parse(line).as_object();
  EXPECT_EQ(json.at("method").as_string(), "GET");
  EXPECT_EQ(json.at("route").as_string(), "/healthz");
  EXPECT_EQ(json.at("status").as_int64(), 200);
  EXPECT_TRUE(json.contains("duration_ms"));
}

TEST_F(Server, UnknownRoutesAndMethodsAreProblems) {
  start();
  raw_client client(service->http_port(), false);
  auto missing = client.get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->header("content-type"), "application/problem+json");
  EXPECT_EQ(boost::json::parse(missing->body).at("status").as_int64(), 404);

  client.send("DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto wrong = client.read_response();
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->header("allow"), "GET");
  // The connection stays healthy after a client error.
  EXPECT_EQ(status(client.get("/healthz")), 200);
}

TEST_F(Server, OversizedHeaderIs431AndBodyIs413) {
  start({"--max-body-bytes=1024", "--max-header-bytes=2048"});
  raw_client big_header(service->http_port(), false);
  auto r = big_header.get("/healthz", "X-Filler: " + std::string(4096, 'a') + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");

  raw_client big_body(service->http_port(), false);
  big_body.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  auto b = big_body.read_response();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 413);
  EXPECT_EQ(boost::json::parse(b->body).at("limit_bytes").as_int64(), 1024);

  raw_client chunked(service->http_port(), false);
  chunked.send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
               std::string(2048, 'x') + "\r\n0\r\n\r\n");
  auto c = chunked.read_response();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 413);
}

TEST_F(Server, SmugglingFramingsAre400AndClose) {
  start();
  const std::vector<std::string> attacks = {
      "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
      "chunked\r\n\r\n0\r\n\r\n",
      "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
      "POST /healthz HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
      "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
  };
  for (const auto& attack : attacks) {
    raw_client client(service->http_port(), false);
    client.send(attack);
    auto r = client.read_response();
    ASSERT_TRUE(r) << attack;
    EXPECT_EQ(r->status, 400) << attack;
    EXPECT_EQ(r->header("content-type"), "application/problem+json") << attack;
    EXPECT_TRUE(client.closed_by_peer(2s)) << attack;
  }
}

TEST_F(Server, HeadSendsTheHeaderOnlySoTheNextResponseIsNotCorrupted) {
  start();
  raw_client client(service->http_port(), false);
  client.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  // This client does not know the first was HEAD, so it takes Content-Length bytes after the
  // header as a body: they must already be the GET's response, not a leaked HEAD body.
  auto head = client.read_response();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "15");
  EXPECT_EQ(head->body, "HTTP/1.1 200 OK");
}

TEST_F(Server, ChunkedTrailersAreRefused) {
  start();
  raw_client client(service->http_port(), false);
  client.send(
      "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nX-Request-Id: smuggled\r\n\r\n");
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->header("x-request-id"), "smuggled");
  EXPECT_TRUE(client.closed_by_peer(2s));
}

TEST_F(Server, SlowlorisLosesItsSlotOnAKeptAliveConnectionToo) {
  start({"--header-timeout=500ms", "--idle-timeout=30s"});
  raw_client slow(service->http_port(), false);
  ASSERT_EQ(status(slow.get("/healthz")), 200);
  slow.send("GET /healthz HTTP/1.1\r\n");
  auto started = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    slow.send("X-Drip: 1\r\n");
    closed = slow.closed_by_peer(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
}

TEST_F(Server, AStdoutWhoseReaderIsGoneDoesNotKillTheProcess) {
  // The log pipe's reader exits at once, so every line supportd writes goes to a pipe nobody
  // reads: each write fails with EPIPE, and the process serves on. The shell tells, on the
  // output it keeps, supportd's pid and how it ended.
  const int port = free_port();
  child_process shell({"/bin/sh", "-c",
                       std::string("exec 3>&1; { \"$0\" --listen-https= --listen-http=127.0.0.1:") +
                           std::to_string(port) + " --redis-url=" + redis.url() +
                           " --threads=1 --log-level=debug & echo \"pid $!\" >&3; wait $!;"
                           " echo \"supportd exited: $?\" >&3; } | true",
                       SUPPORTD_BINARY});
  auto pid_line =
      shell.wait_for_line([](const std::string& l) { return l.starts_with("pid "); }, 5s);
  ASSERT_TRUE(pid_line);
  const pid_t pid = std::stoi(pid_line->substr(4));
  auto healthy = [&] {
    raw_client client(port, false);
    return status(client.get("/healthz")) == 200;
  };
  auto last_words = [&] { return shell.lines().back(); };
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = healthy();
    if (!up) {
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_TRUE(up) << last_words();
  // Every request logs a line; the process must outlive writing them.
  for (int i = 0; i < 5 && up; ++i) {
    EXPECT_TRUE(healthy()) << "request " << i << ": " << last_words();
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(shell.lines().size(), 1u) << last_words();
  ::kill(pid, SIGTERM);
  EXPECT_TRUE(shell.wait(10s));
}

TEST_F(Server, SlowlorisLosesItsSlot) {
  start({"--header-timeout=500ms"});
  raw_client slow(service->http_port(), false);
  slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10 && !slow.closed_by_peer(200ms); ++i) {
    slow.send("X-Drip: 1\r\n");  // a byte now and then does not extend the deadline
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  EXPECT_TRUE(slow.closed_by_peer(100ms) || !slow.get("/healthz"));
}

TEST_F(Server, ConnectionCapClosesTheExtraOnes) {
  start({"--max-connections=2"});
  // Wait until the connections of the readiness check are gone and `a` is the only one open.
  raw_client a(service->http_port(), false);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    auto metrics = a.get("/metrics");
    ASSERT_TRUE(metrics);
    if (metrics->body.find("supportd_http_open_connections 1\n") != std::string::npos) {
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(20ms);
  }
  raw_client b(service->http_port(), false);
  ASSERT_EQ(status(b.get("/healthz")), 200);
  raw_client c(service->http_port(), false);
  EXPECT_FALSE(c.get("/healthz"));
  EXPECT_EQ(status(a.get("/healthz")), 200);  // the first two are unaffected
}

TEST_F(Server, MetricsExposeHttpRedisAndBuildInfo) {
  start();
  raw_client client(service->http_port(), false);
  client.get("/healthz");
  auto r = client.get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  for (auto expected :
       {R"(supportd_http_requests_total{route="/healthz",method="GET",status="200"})",
        "supportd_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"}",
        "supportd_http_requests_in_flight ", "supportd_http_open_connections ",
        "supportd_redis_commands_total ", "supportd_redis_command_duration_seconds_count ",
        "supportd_redis_up 1", "supportd_tls_handshake_failures_total ",
        "supportd_build_info{version="}) {
    EXPECT_NE(r->body.find(expected), std::string::npos) << expected;
  }
}

TEST_F(Server, MetricsPassPromtoolsChecks) {
  start();
  raw_client client(service->http_port(), false);
  client.get("/healthz");
  client.get("/nope");
  auto scraped = client.get("/metrics");
  ASSERT_TRUE(scraped);
  auto file = service->dir().path() / "metrics.txt";
  std::ofstream(file) << scraped->body;
  // promtool comes with Debian's prometheus package (the test command installs it).
  std::string command = "promtool check metrics < '" + file.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string complaints;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) {
    complaints += buffer;
  }
  EXPECT_EQ(pclose(pipe), 0) << complaints;
  EXPECT_EQ(complaints, "");
}

TEST_F(Server, ReadinessFollowsRedisThroughACrashAndRestart) {
  start();
  raw_client client(service->http_port(), false);
  redis.kill();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  int readiness = 0;
  while (std::chrono::steady_clock::now() < deadline && readiness != 503) {
    auto r = client.get("/readyz");
    ASSERT_TRUE(r);
    readiness = r->status;
    // Liveness does not depend on Redis.
    EXPECT_EQ(status(client.get("/healthz")), 200);
  }
  ASSERT_EQ(readiness, 503);
  auto down = client.get("/readyz");
  EXPECT_EQ(down->header("retry-after"), "1");
  EXPECT_EQ(boost::json::parse(down->body).at("code").as_string(), "redis_unavailable");

  redis.restart();
  EXPECT_TRUE(service->wait_ready(10s));
  EXPECT_EQ(status(client.get("/readyz")), 200);
}

TEST_F(Server, HungRedisMakesReadinessFailFast) {
  start({"--redis-timeout=5s"});
  raw_client client(service->http_port(), false);
  redis.pause();
  auto started = std::chrono::steady_clock::now();
  auto r = client.get("/readyz");
  auto waited = std::chrono::steady_clock::now() - started;
  redis.resume();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_LT(waited, 2s);  // the probe's own short deadline, not the 5 s command timeout
  EXPECT_TRUE(service->wait_ready(5s));
}

TEST_F(Server, StartsAndAnswersLivenessWithoutRedis) {
  int port = free_port();
  supportd_process lonely("redis://127.0.0.1:" + std::to_string(port) + "/0");
  raw_client client(lonely.http_port(), false);
  EXPECT_EQ(status(client.get("/healthz")), 200);
  EXPECT_EQ(status(client.get("/readyz")), 503);
}

TEST_F(Server, SighupReloadsTheCertificateWithoutDroppingConnections) {
  start();
  raw_client before(service->https_port(), true);
  ASSERT_EQ(before.peer_common_name(), "first");
  ASSERT_EQ(status(before.get("/healthz")), 200);

  make_certificate(service->cert_file(), service->key_file(), "second");
  service->process().signal(SIGHUP);
  ASSERT_TRUE(has_log_line("tls certificate reloaded"));

  raw_client after(service->https_port(), true);
  EXPECT_EQ(after.peer_common_name(), "second");
  EXPECT_EQ(status(after.get("/healthz")), 200);
  EXPECT_EQ(status(before.get("/healthz")), 200);  // the old connection lives on
}

TEST_F(Server, BadCertificateOnReloadKeepsTheOldOne) {
  start();
  std::filesystem::resize_file(service->cert_file(), 10);
  service->process().signal(SIGHUP);
  ASSERT_TRUE(has_log_line("tls certificate reload failed"));
  raw_client client(service->https_port(), true);
  EXPECT_EQ(client.peer_common_name(), "first");
}

TEST_F(Server, SigtermDrainsInFlightRequestsAndExitsZero) {
  start();
  raw_client idle(service->http_port(), false);
  ASSERT_EQ(status(idle.get("/healthz")), 200);

  // A request whose body is still arriving when the signal comes.
  raw_client busy(service->http_port(), false);
  busy.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
  std::this_thread::sleep_for(200ms);
  service->process().signal(SIGTERM);
  ASSERT_TRUE(has_log_line(R"("msg":"shutting down")"));

  EXPECT_TRUE(idle.closed_by_peer(2s));  // idle connections go at once
  EXPECT_FALSE(raw_client(service->http_port(), false).get("/healthz"));  // no new requests

  busy.send("67890");
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);  // answered, not cut off
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(service->process().wait(5s), 0);
}

TEST_F(Server, BadSettingsExitWithStatus2BeforeBinding) {
  int port = free_port();
  const std::vector<std::vector<std::string>> cases = {
      {SUPPORTD_BINARY, "--no-such-flag"},
      {SUPPORTD_BINARY, "--listen-https=127.0.0.1:" + std::to_string(port),
       "--tls-cert=/nonexistent.pem", "--tls-key=/nonexistent.pem"},
      {SUPPORTD_BINARY, "--listen-https=", "--listen-http=127.0.0.1:" + std::to_string(port),
       "--redis-url=mysql://x"},
  };
  for (const auto& argv : cases) {
    child_process p(argv);
    EXPECT_EQ(p.wait(5s), 2) << argv.back();
    auto lines = p.lines();
    ASSERT_EQ(lines.size(), 1u) << argv.back();
    EXPECT_TRUE(lines[0].starts_with("supportd: ")) << lines[0];
    EXPECT_EQ(lines[0].find("listening"), std::string::npos);
  }
  child_process version({SUPPORTD_BINARY, "--version"});
  EXPECT_EQ(version.wait(5s), 0);
  EXPECT_TRUE(
      version.wait_for_line([](const std::string& l) { return l.starts_with("supportd 0."); }, 1s));
}

}  // namespace
}  // namespace supportd::test

// Opens N keep-alive connections to 127.0.0.1:PORT, sends one GET on each (over TLS with
// --tls), reads the answer, then holds them all idle until stdin closes or SIGTERM comes.
// Prints "holding N" once every connection has had its answer. A benchmark tool, not a test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop = 0;

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: hold_connections PORT COUNT [--tls]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int count = std::atoi(argv[2]);
  const bool tls = argc > 3 && std::strcmp(argv[3], "--tls") == 0;
  std::signal(SIGTERM, [](int) { stop = 1; });

  SSL_CTX* ctx = tls ? SSL_CTX_new(TLS_client_method()) : nullptr;
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  std::vector<int> fds;
  std::vector<SSL*> sessions;
  char buffer[4096];
  for (int i = 0; i < count; ++i) {
    int fd = connect_to(port);
    fds.push_back(fd);
    if (tls) {
      SSL* ssl = SSL_new(ctx);
      SSL_set_fd(ssl, fd);
      if (SSL_connect(ssl) != 1) {
        std::fprintf(stderr, "TLS handshake %d failed\n", i);
        return 1;
      }
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      if (SSL_read(ssl, buffer, sizeof buffer) <= 0) {
        std::fprintf(stderr, "no answer on connection %d\n", i);
        return 1;
      }
      sessions.push_back(ssl);
    } else {
      ::send(fd, request.data(), request.size(), 0);
      if (::recv(fd, buffer, sizeof buffer, 0) <= 0) {
        std::fprintf(stderr, "no answer on connection %d\n", i);
        return 1;
      }
    }
  }
  std::printf("holding %d\n", count);
  std::fflush(stdout);
  while (!stop && ::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  return 0;
}

// fake-stripe: a local stand-in for the Stripe API, its hosted Checkout page and its webhooks,
// for supportd's tests and local runs. See README.md beside this file.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>

#include "fake_stripe_api.hpp"
#include "http_io.hpp"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr const char* usage =
    "usage: fake-stripe --listen HOST:PORT [--tls-cert FILE --tls-key FILE]\n"
    "                   [--secret-key sk_test_...] [--public-url URL]\n"
    "                   [--webhook-url URL --webhook-secret whsec_...] [--webhook-ca-file FILE]\n"
    "                   [--webhook-attempts N]\n";

// A bad command line: main prints it with the usage and exits 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& message) {
  throw usage_error(message);
}

std::map<std::string, std::string> parse_flags(int argc, char** argv) {
  static const char* known[] = {"listen",         "tls-cert",        "tls-key",
                                "secret-key",     "public-url",      "webhook-url",
                                "webhook-secret", "webhook-ca-file", "webhook-attempts"};
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      flags["help"] = "";
      return flags;
    }
    if (!arg.starts_with("--")) {
      fail("unexpected argument " + arg);
    }
    auto name = arg.substr(2);
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      fail("--" + name + " needs a value");
    }
    if (std::find(std::begin(known), std::end(known), name) == std::end(known)) {
      fail("unknown flag --" + name);
    }
    flags[name] = value;
  }
  return flags;
}

tcp::endpoint parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    fail("--listen must be HOST:PORT");
  }
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) {
    fail("--listen needs an IP address, not " + host);
  }
  unsigned long port = 0;
  try {
    port = std::stoul(text.substr(colon + 1));
  } catch (const std::exception&) {
    fail("--listen has a bad port");
  }
  if (port > 65535) {
    fail("--listen has a bad port");
  }
  return {address, static_cast<unsigned short>(port)};
}

std::string format_endpoint(const tcp::endpoint& e) {
  auto host = e.address().to_string();
  if (e.address().is_v6()) {
    host = "[" + host + "]";
  }
  return host + ":" + std::to_string(e.port());
}

int run(int argc, char** argv) {
  auto flags = parse_flags(argc, argv);
  if (flags.contains("help")) {
    std::cout << usage;
    return 0;
  }
  if (!flags.contains("listen")) {
    fail("--listen is required");
  }
  if (flags.contains("tls-cert") != flags.contains("tls-key")) {
    fail("--tls-cert and --tls-key go together");
  }
  if (flags.contains("webhook-url") && !flags.contains("webhook-secret")) {
    fail("--webhook-url needs --webhook-secret");
  }

  net::io_context io;
  std::shared_ptr<net::ssl::context> tls;
  if (flags.contains("tls-cert")) {
    tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1);
    try {
      tls->use_certificate_chain_file(flags["tls-cert"]);
      tls->use_private_key_file(flags["tls-key"], net::ssl::context::pem);
    } catch (const std::exception& e) {
      fail("cannot load the TLS certificate or key: " + std::string(e.what()));
    }
  }

  tcp::acceptor acceptor(io);
  auto endpoint = parse_listen(flags["listen"]);
  try {
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::cerr << "fake-stripe: cannot listen on " << flags["listen"] << ": " << e.what() << "\n";
    return 1;
  }
  auto address = format_endpoint(acceptor.local_endpoint());

  fake_stripe::api_options options;
  if (flags.contains("secret-key")) {
    options.secret_key = flags["secret-key"];
  }
  options.public_url = flags.contains("public-url")
                           ? flags["public-url"]
                           : std::string(tls ? "https://" : "http://") + address;
  while (options.public_url.ends_with('/')) {
    options.public_url.pop_back();
  }
  fake_stripe::fake_stripe_api api(options);

  std::unique_ptr<fake_stripe::webhook_sender> webhooks;
  if (flags.contains("webhook-url")) {
    fake_stripe::webhook_settings settings;
    settings.url = flags["webhook-url"];
    settings.secret = flags["webhook-secret"];
    if (flags.contains("webhook-ca-file")) {
      settings.ca_file = flags["webhook-ca-file"];
    }
    if (flags.contains("webhook-attempts")) {
      try {
        settings.attempts = std::stoi(flags["webhook-attempts"]);
      } catch (const std::exception&) {
        fail("--webhook-attempts must be a number");
      }
      if (settings.attempts < 1) {
        fail("--webhook-attempts must be at least 1");
      }
    }
    try {
      webhooks = std::make_unique<fake_stripe::webhook_sender>(io.get_executor(), settings, api);
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  net::co_spawn(io, fake_stripe::serve(acceptor, tls, api, webhooks.get()), net::detached);

  std::cout << R"({"msg":"listening","address":")" << address << "\"}" << std::endl;
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "fake-stripe: " << e.what() << "\n" << usage;
    return 2;
  }
}

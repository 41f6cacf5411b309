// fake-stripe started next to a supportd under test, as the end-to-end suites use it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "support/child_process.hpp"

namespace supportd::test {

// fake-stripe serving its API over TLS on `port`, with the certificate the test made in `dir`
// (stripe-cert.pem, stripe-key.pem), sending webhooks signed with `webhook_secret` to the
// supportd whose HTTP listener is on `supportd_http_port`. Returns once it listens; throws with
// its output when it does not.
std::unique_ptr<child_process> start_fake_stripe(const std::filesystem::path& dir, int port,
                                                 int supportd_http_port,
                                                 const std::string& webhook_secret);

// The port a started fake-stripe said it listens on.
int listening_port(child_process& stripe);

}  // namespace supportd::test

// What supportd answers and what it delivers, held to its API description (proto/openapi.yaml
// and proto/events/) while the C++ end-to-end tests run: a response or a delivery the description
// does not allow fails the test that caused it, with a gtest failure naming each difference.
//
// The checking is tests/contract/api_contract.mjs (Ajv), in one Node process shared by every test
// process of a run (tests/contract/check_server.mjs, `node` from PATH, on a Unix socket in the
// temp dir), which answers one JSON line per check.
// $SUPPORTD_API_DESCRIPTION names another description; $SUPPORTD_CONTRACT_TALLY and
// $SUPPORTD_CONTRACT_REPORT are described in api_contract.mjs.
//
// Thread-safe: checks from several threads take turns.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace supportd::test {

struct raw_response;

// Starts the checker now if it is not running yet: Node takes a moment to load, which then
// overlaps with what the caller does next (such as starting supportd).
void prepare_api_contract();

// Checks supportd's `response` to the request `method target` (its request line's parts; empty
// when the bytes sent had none). Each error is a gtest failure of the running test.
void expect_documented_response(std::string_view method, std::string_view target,
                                const raw_response& response);

// Checks a delivery supportd sent to a test's receiver: its header fields (names lower-cased)
// and body.
void expect_documented_delivery(const std::map<std::string, std::string>& headers,
                                std::string_view body);

}  // namespace supportd::test

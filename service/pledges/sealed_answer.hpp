// A pledge's first answer as Redis keeps it under its Idempotency-Key, to replay to the same
// request sent again (idempotent_answers.hpp).
//
// The answer hands out capabilities: the manage token and the signed cancel link. Kept in clear,
// they would go to whoever can read Redis. So each is saved XORed with a key stream that only the
// Idempotency-Key itself gives (HMAC-SHA256 blocks keyed by the key, which Redis holds only as a
// hash): only a caller presenting the same key gets them back. Each member has its own stream,
// never reused across 32-byte blocks, so a cancel link's known prefix reveals nothing of the
// stream under its token. Block 0 is the pad answers were saved with before cancel links were
// sealed too, so those answers still replay.
//
// Pure: no I/O.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace supportd::pledges {

// The answer to save: `answer` (a JSON object with the pledge's "id") with its "manage_token"
// and "cancel_link" members sealed under `idempotency_key`.
std::string seal_answer(boost::json::object answer, std::string_view idempotency_key);

// A saved answer as it was first sent; nullopt when it does not unseal (not a JSON object, no
// id or manage token, a sealed member that is not what seal_answer writes).
std::optional<std::string> unseal_answer(std::string_view saved, std::string_view idempotency_key);

}  // namespace supportd::pledges

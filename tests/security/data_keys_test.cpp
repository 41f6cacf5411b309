#include "security/data_keys.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "security/secrets.hpp"

namespace supportd::security {
namespace {

// 32-byte keys: bytes 0..31 and 32..63, in standard padded base64.
const std::string k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const std::string k2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

data_keys must_parse(std::string_view text) {
  auto parsed = data_keys::parse(text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    throw std::runtime_error(*error);
  }
  return std::get<data_keys>(std::move(parsed));
}

// The error, or "" when the text parses.
std::string parse_error(std::string_view text) {
  auto parsed = data_keys::parse(text);
  auto* error = std::get_if<std::string>(&parsed);
  return error ? *error : "";
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

TEST(DataKeys, RoundTrip) {
  auto keys = must_parse("A:" + k1);
  const std::string texts[] = {"", "reader@example.org", std::string("a\0b:\xff", 5),
                               std::string(10000, 'x')};
  for (const auto& text : texts) {
    auto blob = keys.seal(text, "rem_1");
    EXPECT_TRUE(blob.starts_with("A:"));
    EXPECT_EQ(keys.open(blob, "rem_1"), text);
  }
  EXPECT_EQ(keys.open(keys.seal("reader@example.org", ""), ""), "reader@example.org");
}

TEST(DataKeys, OpensABlobMadeByAnotherImplementation) {
  // Python's cryptography AESGCM with key bytes 0..31, nonce bytes 100..111 and associated data
  // "A:rem_1" (the blob's header, then the caller's associated data).
  auto keys = must_parse("A:" + k1);
  std::string blob = "A:";
  blob += from_hex(
      "6465666768696a6b6c6d6e6f3a7ebf021c9b16fb46033298b600449230a5733489d14126708a573e72eca5a9"
      "c01a");
  EXPECT_EQ(keys.open(blob, "rem_1"), "reader@example.org");
  EXPECT_EQ(keys.open(blob, "rem_2"), std::nullopt);
}

TEST(DataKeys, OverheadIsKeyIdPlus29Bytes) {
  auto keys = must_parse("A:" + k1);
  for (std::size_t size : {0u, 1u, 17u, 254u}) {
    EXPECT_EQ(keys.seal(std::string(size, 'e'), "rem_1").size(), size + 30);
  }
  auto long_id = must_parse("key-2025_rotated:" + k1);
  EXPECT_EQ(long_id.seal("reader@example.org", "rem_1").size(), 18 + 16 + 29);
}

TEST(DataKeys, SealingTwiceGivesDifferentBlobs) {
  auto keys = must_parse("A:" + k1);
  auto first = keys.seal("reader@example.org", "rem_1");
  auto second = keys.seal("reader@example.org", "rem_1");
  EXPECT_NE(first, second);  // a fresh random nonce each time
  EXPECT_NE(first.substr(2, 12), second.substr(2, 12));
  EXPECT_EQ(keys.open(first, "rem_1"), keys.open(second, "rem_1"));
}

TEST(DataKeys, AnyChangedOrMissingByteFails) {
  auto keys = must_parse("A:" + k1);
  auto blob = keys.seal("reader@example.org", "rem_1");
  ASSERT_EQ(keys.open(blob, "rem_1"), "reader@example.org");
  for (std::size_t i = 0; i < blob.size(); ++i) {
    for (unsigned char bit : {0x01, 0x80}) {
      auto altered = blob;
      altered[i] = static_cast<char>(altered[i] ^ bit);
      EXPECT_EQ(keys.open(altered, "rem_1"), std::nullopt) << "byte " << i;
    }
  }
  for (std::size_t size = 0; size < blob.size(); ++size) {
    EXPECT_EQ(keys.open(blob.substr(0, size), "rem_1"), std::nullopt) << "length " << size;
  }
  EXPECT_EQ(keys.open(blob + '\0', "rem_1"), std::nullopt);
  EXPECT_EQ(keys.open(blob.substr(1), "rem_1"), std::nullopt);
}

TEST(DataKeys, ABlobCopiedToAnotherRecordFails) {
  auto keys = must_parse("A:" + k1);
  auto blob = keys.seal("reader@example.org", "rem_1");
  EXPECT_EQ(keys.open(blob, "rem_2"), std::nullopt);
  EXPECT_EQ(keys.open(blob, ""), std::nullopt);
  EXPECT_EQ(keys.open(blob, "rem_1 "), std::nullopt);
  EXPECT_EQ(keys.open(keys.seal("reader@example.org", ""), "rem_1"), std::nullopt);
}

TEST(DataKeysRotation, OldBlobsStillOpenAndNewOnesUseTheFirstKey) {
  auto before = must_parse("A:" + k1);
  auto old_blob = before.seal("reader@example.org", "rem_1");
  EXPECT_EQ(before.sealing_key_id(), "A");

  auto rotated = must_parse("B:" + k2 + "\nA:" + k1);
  EXPECT_EQ(rotated.sealing_key_id(), "B");
  EXPECT_EQ(rotated.open(old_blob, "rem_1"), "reader@example.org");
  auto new_blob = rotated.seal("reader@example.org", "rem_1");
  EXPECT_TRUE(new_blob.starts_with("B:"));
  EXPECT_EQ(rotated.open(new_blob, "rem_1"), "reader@example.org");
  EXPECT_EQ(before.open(new_blob, "rem_1"), std::nullopt);  // A alone knows no B

  auto retired = must_parse("B:" + k2);
  EXPECT_EQ(retired.open(old_blob, "rem_1"), std::nullopt);
  EXPECT_EQ(retired.open(new_blob, "rem_1"), "reader@example.org");
}

TEST(DataKeysRotation, AKeyIdStandsForItsOwnKeyOnly) {
  // Another file that gives id A other bytes cannot open A's blobs, nor can a relabelled blob.
  auto keys = must_parse("A:" + k1);
  auto blob = keys.seal("reader@example.org", "rem_1");
  EXPECT_EQ(must_parse("A:" + k2).open(blob, "rem_1"), std::nullopt);
  auto both = must_parse("B:" + k1 + "\nA:" + k2);
  EXPECT_EQ(both.open(blob, "rem_1"), std::nullopt);
  auto relabelled = blob;
  relabelled[0] = 'B';
  EXPECT_EQ(both.open(relabelled, "rem_1"), std::nullopt);  // the header is bound too
}

TEST(DataKeysParse, AcceptsCommentsBlankLinesAndCrlf) {
  auto keys = must_parse("# data keys\n\n  B:" + k2 + "  \r\n# retired soon\r\nA:" + k1 + "\n");
  EXPECT_EQ(keys.sealing_key_id(), "B");
  EXPECT_EQ(keys.lookup_key_id(), "A");
  EXPECT_EQ(must_parse("key-2025_rotated:" + k1).sealing_key_id(), "key-2025_rotated");
}

TEST(DataKeysParse, ErrorsNameTheLineAndNeverTheKey) {
  struct error_case {
    std::string text;
    std::string expected;
  };
  const error_case cases[] = {
      {"", "no key"},
      {"# only a comment\n\n", "no key"},
      {k1, "line 1"},                                    // no key id
      {":" + k1, "line 1"},                              // empty key id
      {"ABCDEFGHIJKLMNOPQ:" + k1, "line 1"},             // 17-character key id
      {"A.B:" + k1, "line 1"},                           // '.' in the key id
      {"A B:" + k1, "line 1"},                           // space in the key id
      {"A:" + k1 + "\nA:" + k2, "line 2"},               // duplicate id
      {"A:" + k1 + "\n\n# c\nB:" + k1 + "x", "line 4"},  // counts blank and comment lines
      {"A:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", "32 bytes"},  // 31 bytes
      {"A:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", "32 bytes"},  // 33 bytes
      {"A:", "32 bytes"},                                              // empty key
      {"A:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "base64"},     // no padding
      {"A:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==", "base64"},   // extra padding
      {"A:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", "base64"},    // stray bits
      {"A:__________________________________________8=", "base64"},    // URL alphabet
      {"A:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx!dHh8=", "base64"},    // not base64
      {"A:AAECAwQFBgcICQoLDA0ODxAREhMU FRYXGBkaGxwdHh8=", "base64"},   // inner space
  };
  for (const auto& c : cases) {
    auto error = parse_error(c.text);
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.text << " -> " << error;
    EXPECT_EQ(error.find("AAEC"), std::string::npos) << error;
    EXPECT_EQ(error.find("ICEi"), std::string::npos) << error;
    EXPECT_EQ(error.find("____"), std::string::npos) << error;
  }
  // The same key under the URL alphabet's twin is fine in the standard one.
  EXPECT_EQ(parse_error("A://////////////////////////////////////////8="), "");
}

TEST(DataKeys, LookupHashIsStableKeyedAndSeparatedByPurpose) {
  auto keys = must_parse("A:" + k1);
  auto hash = keys.lookup_hash("email", "reader@example.org");
  ASSERT_EQ(hash.size(), 32u);
  // HMAC-SHA256(HMAC-SHA256(key A, "supportd lookup v1"), "5:email" + value), by Python's hmac.
  EXPECT_EQ(to_hex(hash), "78c4a903c2cf2b8911221edaee4a4b12d171e1e67ffbcffd98d2a48c07fa4a3a");
  EXPECT_EQ(must_parse("A:" + k1).lookup_hash("email", "reader@example.org"), hash);
  EXPECT_NE(keys.lookup_hash("unsubscribe", "reader@example.org"), hash);
  EXPECT_NE(keys.lookup_hash("email", "reader2@example.org"), hash);
  EXPECT_NE(keys.lookup_hash("ab", "c"), keys.lookup_hash("a", "bc"));
  EXPECT_NE(must_parse("A:" + k2).lookup_hash("email", "reader@example.org"), hash);

  // Routine rotation (a new first key) keeps lookups; retiring the oldest key re-keys them.
  auto rotated = must_parse("B:" + k2 + "\nA:" + k1);
  EXPECT_EQ(rotated.lookup_key_id(), "A");
  EXPECT_EQ(rotated.lookup_hash("email", "reader@example.org"), hash);
  EXPECT_NE(must_parse("B:" + k2).lookup_hash("email", "reader@example.org"), hash);
}

}  // namespace
}  // namespace supportd::security

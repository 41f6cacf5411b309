// The reader's address and name, sealed in their pledge.
#include "pledges/pledge_reader.hpp"

#include <gtest/gtest.h>

#include "security/data_keys.hpp"

namespace supportd::pledges {
namespace {

security::data_keys keys_of(std::string_view text) {
  auto parsed = security::data_keys::parse(text);
  return std::get<security::data_keys>(std::move(parsed));
}

// 32 bytes each, base64.
const auto keys = keys_of("k1:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=\n");
const auto other_keys = keys_of("k2:bGxsbGxsbGxsbGxsbGxsbGxsbGxsbGxsbGxsbGxsbGw=\n");

TEST(PledgeReader, TheAddressAndNameOpenForTheirPledgeOnly) {
  auto sealed = seal_reader(keys, "pl_1", "reader@example.org", "Ada Reader");
  EXPECT_EQ(sealed.email.find("reader@example.org"), std::string::npos);
  EXPECT_EQ(sealed.name.find("Ada"), std::string::npos);
  auto reader = open_reader(keys, "pl_1", sealed.email, sealed.name);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->email, "reader@example.org");
  EXPECT_EQ(reader->name, "Ada Reader");
  // Copied to another pledge, or opened without the key: nothing.
  EXPECT_EQ(open_reader(keys, "pl_2", sealed.email, sealed.name), std::nullopt);
  EXPECT_EQ(open_reader(other_keys, "pl_1", sealed.email, sealed.name), std::nullopt);
}

TEST(PledgeReader, ACorrectedAddressOpensWithTheName) {
  auto sealed = seal_reader(keys, "pl_1", "reader@example.org", "Ada Reader");
  auto corrected = seal_email(keys, "pl_1", "ada@example.org");
  auto reader = open_reader(keys, "pl_1", corrected, sealed.name);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->email, "ada@example.org");
  EXPECT_EQ(reader->name, "Ada Reader");
}

TEST(PledgeReader, NoAddressNoReaderAndANameThatDoesNotOpenIsNone) {
  auto sealed = seal_reader(keys, "pl_1", "reader@example.org", "");
  EXPECT_EQ(sealed.name, "");
  EXPECT_EQ(open_reader(keys, "pl_1", sealed.email, "")->name, "");
  // Erased: no address, so no reader, whatever else is left.
  EXPECT_EQ(open_reader(keys, "pl_1", "", sealed.name), std::nullopt);
  // The address where the name goes (and back) does not open.
  auto named = seal_reader(keys, "pl_1", "reader@example.org", "Ada Reader");
  EXPECT_EQ(open_reader(keys, "pl_1", named.name, named.email), std::nullopt);
  EXPECT_EQ(open_reader(keys, "pl_1", named.email, named.email)->name, "");
}

}  // namespace
}  // namespace supportd::pledges

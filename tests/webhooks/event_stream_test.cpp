// The Stripe event stream on a real redis-server: bounded appends, trimming only what every
// consumer group acknowledged, and how far behind processing is.
#include "webhooks/event_stream.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "pledges/pledge_store.hpp"
#include "redis/connection.hpp"
#include "support/redis_fixture.hpp"
#include "support/redis_server.hpp"
#include "support/run_awaitable.hpp"

namespace supportd::webhooks {
namespace {

using namespace std::chrono_literals;

class EventStream : public test::redis_fixture {
 protected:
  std::int64_t stream_length() {
    std::string_view length[] = {"XLEN", "t:stripe:events"};
    return test::run(io, conn->command(length))->integer;
  }
  redis::result call(std::vector<std::string_view> args) {
    return test::run(io, conn->command(args));
  }
  redis::result call_slow(std::vector<std::string_view> args) {
    return test::run(io, conn->command(args, 60s));
  }
};

// An admin lists the dead letters a page at a time: a thousand of them come in pages, none
// twice, none missed, the last page's cursor "0".
TEST_F(EventStream, DeadLettersAreListedAPageAtATimeEachOnce) {
  event_stream stream(*conn, prefix);
  constexpr int letters = 1000;
  for (int k = 0; k < letters; ++k) {
    const auto id = std::to_string(1700000000000 + k) + "-0";
    stream_entry e{id, "evt_" + std::to_string(k), "invoice.paid", "{}", 1700000000000 + k};
    ASSERT_TRUE(test::run(io, stream.dead_letter(e, "store unavailable or update failed", 5)));
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int pages = 0;
  do {
    auto page = test::run(io, stream.dead_letters(cursor, 100));
    ASSERT_TRUE(page);
    EXPECT_LT(page->letters.size(), 300u);  // about a hundred, never the lot
    for (const auto& [id, record] : page->letters) {
      EXPECT_TRUE(seen.insert(id).second) << id << " listed twice";
    }
    cursor = page->next_cursor;
    ASSERT_LT(++pages, 100);
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), std::size_t{letters});
  EXPECT_GE(pages, 5);
}

TEST_F(EventStream, TheBacklogCountsUnreadEventsWhenRedisCannotTellTheLag) {
  event_stream stream(*conn, prefix);
  ASSERT_TRUE(test::run(io, stream.ensure_group()));
  for (int k = 0; k < 4; ++k) {
    ASSERT_TRUE(test::run(io, stream.append("evt_" + std::to_string(k), "invoice.paid", "{}")));
  }
  auto taken = test::run(io, stream.read_new("c", 1));
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ(*test::run(io, stream.backlog()), 4);
  // Deleting an entry the group has not read yet leaves Redis unable to count the lag (XINFO
  // GROUPS answers nil, as after some restarts): one pending and two unread still wait.
  auto all = call({"XRANGE", "t:stripe:events", "-", "+"});
  ASSERT_EQ(all->elements.size(), 4u);
  const auto unread = all->elements[2].elements[0].text;
  ASSERT_TRUE(call({"XDEL", "t:stripe:events", unread}));
  EXPECT_EQ(*test::run(io, stream.backlog()), 3);
}

TEST_F(EventStream, PastTheBoundAnAppendIsRefusedAndNothingIsTrimmed) {
  event_stream stream(*conn, prefix);
  ASSERT_TRUE(test::run(io, stream.ensure_group()));
  for (int k = 0; k < 3; ++k) {
    auto appended =
        test::run(io, stream.append("evt_" + std::to_string(k), "invoice.paid", "{}", 3));
    ASSERT_TRUE(appended && *appended);
  }
  auto refused = test::run(io, stream.append("evt_3", "invoice.paid", "{}", 3));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(*refused);
  EXPECT_EQ(stream_length(), 3);
  // Once one is processed (acknowledged, and so deleted) there is room again.
  auto taken = test::run(io, stream.read_new("c", 1));
  ASSERT_EQ(taken->size(), 1u);
  ASSERT_TRUE(test::run(io, stream.ack(taken->front().id)));
  auto accepted = test::run(io, stream.append("evt_3", "invoice.paid", "{}", 3));
  EXPECT_TRUE(accepted && *accepted);
  EXPECT_EQ(stream_length(), 3);
}

TEST_F(EventStream, AMillionUnprocessedEventsAreNotTrimmedByTheNextOne) {
  // A backlog past the old cap (MAXLEN ~ 1000000) by more than a stream node (100 entries), so
  // that an approximate trim would drop whole nodes; made inside Redis in one script.
  event_stream stream(*conn, prefix);
  ASSERT_TRUE(test::run(io, stream.ensure_group()));
  ASSERT_TRUE(call({"CONFIG", "SET", "appendonly", "no"}));  // a million writes, not to disk
  auto filled = call_slow({"EVAL",
                           "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', "
                           "'event_id', 'e', 'type', 't', 'body', '{}', 'received_ms', '0') end "
                           "return redis.call('XLEN', KEYS[1])",
                           "1", "t:stripe:events", "1001000"});
  ASSERT_TRUE(filled);
  ASSERT_EQ(filled->integer, 1'001'000);
  auto first = call({"XRANGE", "t:stripe:events", "-", "+", "COUNT", "1"});
  ASSERT_TRUE(first && first->elements.size() == 1u);
  const auto first_id = first->elements[0].elements[0].text;
  auto appended = test::run(io, stream.append("evt_last", "invoice.paid", "{}"));
  ASSERT_TRUE(appended && *appended);
  EXPECT_EQ(stream_length(), 1'001'001);
  auto still = call({"XRANGE", "t:stripe:events", first_id, first_id});
  ASSERT_TRUE(still);
  EXPECT_EQ(still->elements.size(), 1u) << "the oldest unprocessed event was trimmed";
  // Nobody acknowledged any of them: trimming takes none.
  EXPECT_EQ(*test::run(io, stream.trim_acknowledged()), 0);
  EXPECT_EQ(stream_length(), 1'001'001);
}

TEST_F(EventStream, TrimmingTakesOnlyWhatEveryGroupAcknowledged) {
  event_stream stream(*conn, prefix);
  ASSERT_TRUE(test::run(io, stream.ensure_group()));
  // Another group reading the same stream (an audit log, say).
  ASSERT_TRUE(call({"XGROUP", "CREATE", "t:stripe:events", "audit", "0"}));
  std::vector<std::string> ids;
  for (int k = 0; k < 5; ++k) {
    ASSERT_TRUE(test::run(io, stream.append("evt_" + std::to_string(k), "invoice.paid", "{}")));
  }
  auto all = call({"XRANGE", "t:stripe:events", "-", "+"});
  for (const auto& e : all->elements) {
    ids.push_back(e.elements[0].text);
  }
  ASSERT_EQ(ids.size(), 5u);
  // supportd's group: given 0..2, acknowledged 0 and 1 (their deletion lost, as when the
  // connection drops between XACK and XDEL); 3 and 4 not given out yet.
  auto taken = test::run(io, stream.read_new("c", 3));
  ASSERT_EQ(taken->size(), 3u);
  ASSERT_TRUE(call({"XACK", "t:stripe:events", "supportd", ids[0], ids[1]}));
  // The audit group: given and acknowledged everything but 1.
  ASSERT_TRUE(
      call({"XREADGROUP", "GROUP", "audit", "a", "COUNT", "5", "STREAMS", "t:stripe:events", ">"}));
  ASSERT_TRUE(call({"XACK", "t:stripe:events", "audit", ids[0], ids[2], ids[3], ids[4]}));
  EXPECT_EQ(*test::run(io, stream.trim_acknowledged()), 1);  // 0 only: audit holds 1
  EXPECT_EQ(stream_length(), 4);
  ASSERT_TRUE(call({"XACK", "t:stripe:events", "audit", ids[1]}));
  EXPECT_EQ(*test::run(io, stream.trim_acknowledged()), 1);  // 1; supportd holds 2
  EXPECT_EQ(stream_length(), 3);
  ASSERT_TRUE(call({"XACK", "t:stripe:events", "supportd", ids[2]}));
  EXPECT_EQ(*test::run(io, stream.trim_acknowledged()), 1);  // 2; 3 and 4 never given out
  auto left = call({"XRANGE", "t:stripe:events", "-", "+"});
  ASSERT_EQ(left->elements.size(), 2u);
  EXPECT_EQ(left->elements[0].elements[0].text, ids[3]);
  EXPECT_EQ(left->elements[1].elements[0].text, ids[4]);
}

// The age of the oldest event not yet processed, whether never read or read and pending: how
// far behind processing is, in time (supportd_webhook_oldest_unprocessed_age_seconds).
TEST_F(EventStream, TheOldestUnprocessedEventIsFoundWhetherUnreadOrPending) {
  event_stream stream(*conn, prefix);
  EXPECT_EQ(*test::run(io, stream.oldest_unprocessed_ms()), 0);  // no stream yet
  const auto before = core::now_unix_ms();
  std::int64_t first_appended = 0;  // when the first append had been answered
  for (int k = 0; k < 3; ++k) {
    auto appended = test::run(io, stream.append("evt_" + std::to_string(k), "invoice.paid", "{}"));
    ASSERT_TRUE(appended && *appended);
    if (k == 0) {
      first_appended = core::now_unix_ms();
    }
    std::this_thread::sleep_for(5ms);
  }
  // No group yet: the first entry is the oldest (its time, not a later entry's, whatever the
  // machine's load made the append take).
  auto oldest = *test::run(io, stream.oldest_unprocessed_ms());
  EXPECT_GE(oldest, before);
  EXPECT_LE(oldest, first_appended);
  ASSERT_TRUE(test::run(io, stream.ensure_group()));
  // Read, not acknowledged: still the oldest unprocessed.
  auto read = test::run(io, stream.read_new("c1", 2));
  ASSERT_TRUE(read && read->size() == 2u);
  EXPECT_EQ(*test::run(io, stream.oldest_unprocessed_ms()), oldest);
  // The first acknowledged: the second (pending) is now the oldest, newer than the first.
  ASSERT_TRUE(test::run(io, stream.ack((*read)[0].id)));
  auto second = *test::run(io, stream.oldest_unprocessed_ms());
  EXPECT_GT(second, oldest);
  // Both read ones acknowledged: the third, never read, is the oldest.
  ASSERT_TRUE(test::run(io, stream.ack((*read)[1].id)));
  auto third = *test::run(io, stream.oldest_unprocessed_ms());
  EXPECT_GT(third, second);
  auto rest = test::run(io, stream.read_new("c1", 10));
  ASSERT_TRUE(rest && rest->size() == 1u);
  ASSERT_TRUE(test::run(io, stream.ack((*rest)[0].id)));
  EXPECT_EQ(*test::run(io, stream.oldest_unprocessed_ms()), 0);
}

}  // namespace
}  // namespace supportd::webhooks

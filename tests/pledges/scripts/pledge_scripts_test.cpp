// service/pledges/scripts/*.lua alone against a real redis-server: known KEYS and ARGV in, the
// reply and every key in Redis out, refusals included (a refusal writes nothing).
#include <gtest/gtest.h>

#include "pledges/scripts.hpp"
#include "support/script_table.hpp"

namespace supportd::pledges {
namespace {

using PledgeScripts = test::script_test;
using strings = std::vector<std::string>;

constexpr auto idem = "idem:pledge:k1";
constexpr auto pledge = "pledge:pl_1";
constexpr auto events = "pledge:pl_1:events";
constexpr auto checkout = "checkout:cs_1";
constexpr auto active = "stats:active";
constexpr auto mrr = "stats:mrr_minor";
constexpr auto version = "stats:version";
constexpr auto rebuilt = "stats:reconciled_ms";
constexpr auto seen = "seen:evt_1";
constexpr auto subscription = "subscription:sub_1";
constexpr auto day = "report:2023-11-14";
constexpr auto mark = "report:delivered:rc_1";
constexpr auto due = "msg:due";
constexpr auto items = "msg:items";

// How long the report's day hash is kept: 1000 s, so that it shows as ttl=1000s.
std::string day_expiry() {
  return "1000";
}

TEST_F(PledgeScripts, ReserveIdempotency) {
  const strings claimed = {"HSET", idem, "request", "h1", "state", "claimed", "pledge_id", "pl_0"};
  const strings answered = {"HSET",      idem,
                            "request",   "h1",
                            "state",     "done",
                            "pledge_id", "pl_0",
                            "status",    "201",
                            "location",  "https://checkout.example/cs_0",
                            "body",      R"({"id":"pl_0"})"};
  const std::string answered_after =
      R"({body={"id":"pl_0"}, location=https://checkout.example/cs_0, pledge_id=pl_0, )"
      R"(request=h1, state=done, status=201} ttl=86400s)";
  check(scripts::reserve_idempotency,
        {
            {.name = "a free key is claimed for the new pledge, for the claim's time",
             .keys = {idem},
             .args = {"h1", "pl_1", "30000"},
             .reply = R"(["reserved", "pl_1"])",
             .after = {{idem, "{pledge_id=pl_1, request=h1, state=claimed} ttl=30s"}}},
            {.name = "the same request while the claim is held waits for the holder",
             .given = {claimed, {"PEXPIRE", idem, "20000"}},
             .keys = {idem},
             .args = {"h1", "pl_1", "30000"},
             .reply = R"(["in_progress", "pl_0"])",
             .after = {{idem, "{pledge_id=pl_0, request=h1, state=claimed} ttl=20s"}}},
            {.name = "another request under a claimed key conflicts",
             .given = {claimed},
             .keys = {idem},
             .args = {"h2", "pl_1", "30000"},
             .reply = R"(["conflict"])",
             .after = {{idem, "{pledge_id=pl_0, request=h1, state=claimed}"}}},
            {.name = "the same request once answered replays the saved answer",
             .given = {answered, {"PEXPIRE", idem, "86400000"}},
             .keys = {idem},
             .args = {"h1", "pl_1", "30000"},
             .reply = R"(["replay", "201", "https://checkout.example/cs_0", "{"id":"pl_0"}"])",
             .after = {{idem, answered_after}}},
            {.name = "another request under an answered key conflicts",
             .given = {answered, {"PEXPIRE", idem, "86400000"}},
             .keys = {idem},
             .args = {"h2", "pl_1", "30000"},
             .reply = R"(["conflict"])",
             .after = {{idem, answered_after}}},
        });
}

TEST_F(PledgeScripts, ReleaseIdempotency) {
  check(scripts::release_idempotency,
        {
            {.name = "a claim goes",
             .given = {{"HSET", idem, "request", "h1", "state", "claimed", "pledge_id", "pl_0"}},
             .keys = {idem},
             .reply = "1",
             .after = {}},
            {.name = "a saved answer stays",
             .given = {{"HSET", idem, "request", "h1", "state", "done", "status", "201"}},
             .keys = {idem},
             .reply = "1",
             .after = {{idem, "{request=h1, state=done, status=201}"}}},
            {.name = "no key: nothing to do", .keys = {idem}, .reply = "1", .after = {}},
        });
}

// create_pledge.lua's ARGV: the event, id, session, whether a key answers, the answer kept for a
// day, the report's counts (one: the pledge created), then the pledge's fields (a few of the
// eighteen the store writes: the script copies them).
strings create_args(std::string_view session, std::string_view with_key, std::string_view status,
                    std::string_view every, std::string_view amount, std::string_view currency) {
  return {"ev-created",
          "pl_1",
          std::string(session),
          std::string(with_key),
          "201",
          "https://checkout.example/cs_1",
          "{}",
          "86400000",
          day_expiry(),
          "1",
          "c1|banner||" + std::string(currency) + "|" + std::string(every) + "|pledges_created",
          "1",
          "id",
          "pl_1",
          "status",
          std::string(status),
          "interval",
          std::string(every),
          "amount_minor",
          std::string(amount),
          "currency",
          std::string(currency)};
}

TEST_F(PledgeScripts, CreatePledge) {
  const strings keys = {pledge, events, checkout, idem, active, mrr, version, day};
  const strings claim = {"HSET", idem, "request", "h1", "state", "claimed", "pledge_id", "pl_1"};
  const strings other_claim = {"HSET",  idem,      "request",   "h1",
                               "state", "claimed", "pledge_id", "pl_0"};
  check(
      scripts::create_pledge,
      {
          {.name = "a pending pledge: its hash, first event and checkout index; stats unmoved",
           .keys = keys,
           .args = create_args("cs_1", "0", "pending", "month", "500", "USD"),
           .reply = "1",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, id=pl_1, interval=month, status=pending}"},
                     {events, "[ev-created]"},
                     {day, "{c1|banner||USD|month|pledges_created=1} ttl=1000s"},
                     {checkout, "pl_1"}}},
          {.name = "a pledge that keeps its reader's address is listed in the reader's index, "
                   "and remembers it",
           .keys = {pledge, events, checkout, idem, active, mrr, version, day, "reader:form"},
           .args = create_args("cs_1", "0", "pending", "month", "500", "USD"),
           .reply = "1",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, id=pl_1, interval=month, "
                      "reader_indexes=reader:form, status=pending}"},
                     {events, "[ev-created]"},
                     {day, "{c1|banner||USD|month|pledges_created=1} ttl=1000s"},
                     {checkout, "pl_1"},
                     {"reader:form", "(pl_1)"}}},
          {.name = "the request holding the key saves its answer under it, kept a day",
           .given = {claim, {"PEXPIRE", idem, "30000"}},
           .keys = keys,
           .args = create_args("cs_1", "1", "pending", "month", "500", "USD"),
           .reply = "1",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, id=pl_1, interval=month, status=pending}"},
                     {events, "[ev-created]"},
                     {day, "{c1|banner||USD|month|pledges_created=1} ttl=1000s"},
                     {checkout, "pl_1"},
                     {idem,
                      "{body={}, location=https://checkout.example/cs_1, pledge_id=pl_1, "
                      "request=h1, state=done, status=201} ttl=86400s"}}},
          {.name = "a key claimed for another pledge: refused, nothing written",
           .given = {other_claim},
           .keys = keys,
           .args = create_args("cs_1", "1", "pending", "month", "500", "USD"),
           .reply = "0",
           .after = {{idem, "{pledge_id=pl_0, request=h1, state=claimed}"}}},
          {.name = "a key whose claim expired meanwhile: refused, nothing written",
           .keys = keys,
           .args = create_args("cs_1", "1", "pending", "month", "500", "USD"),
           .reply = "0",
           .after = {}},
          {.name = "an existing pledge is not overwritten",
           .given = {{"HSET", pledge, "id", "pl_1", "status", "active"}},
           .keys = keys,
           .args = create_args("cs_1", "0", "pending", "month", "500", "USD"),
           .reply = "0",
           .after = {{pledge, "{id=pl_1, status=active}"}}},
          {.name = "an active yearly pledge counts a twelfth, rounded down; no session: no index",
           .keys = keys,
           .args = create_args("", "0", "active", "year", "1299", "EUR"),
           .reply = "1",
           .after = {{pledge,
                      "{amount_minor=1299, currency=EUR, id=pl_1, interval=year, status=active}"},
                     {events, "[ev-created]"},
                     {day, "{c1|banner||EUR|year|pledges_created=1} ttl=1000s"},
                     {active, "{EUR=1}"},
                     {mrr, "{EUR=108}"},
                     {version, "1"}}},
          {.name = "an active pledge without a currency is not counted",
           .keys = keys,
           .args = create_args("", "0", "active", "month", "500", ""),
           .reply = "1",
           .after = {{pledge,
                      "{amount_minor=500, currency=, id=pl_1, interval=month, status=active}"},
                     {events, "[ev-created]"},
                     {day, "{c1|banner|||month|pledges_created=1} ttl=1000s"}}},
      });
}

TEST_F(PledgeScripts, TransitionPledge) {
  const strings keys = {pledge, events, active, mrr, version, day, due, items};
  // The report's counts the store passes: none, or a first payment's; no messages.
  const auto no_counts = [](std::string_view expected, std::string_view next, std::string_view ev) {
    return strings{std::string(expected),
                   std::string(next),
                   std::string(ev),
                   "1700000000000",
                   day_expiry(),
                   "0",
                   "0"};
  };
  const auto paid_counts = [](std::string_view next, std::string_view ev) {
    return strings{"pending",
                   std::string(next),
                   std::string(ev),
                   "1700000000000",
                   day_expiry(),
                   "2",
                   "c1|banner||USD|month|pledges_paid",
                   "1",
                   "c1|banner||USD|month|first_payment_minor",
                   "500",
                   "0"};
  };
  auto a_pledge = [](std::string_view status, std::string_view every, std::string_view amount,
                     std::string_view currency) {
    return strings{"HSET",         pledge,
                   "status",       std::string(status),
                   "interval",     std::string(every),
                   "amount_minor", std::string(amount),
                   "currency",     std::string(currency)};
  };
  const strings stats[] = {
      {"HSET", active, "USD", "3"}, {"HSET", mrr, "USD", "1500"}, {"SET", version, "7"}};
  check(
      scripts::transition_pledge,
      {
          {.name = "a reader's cancellation queues the message that tells them",
           .given = {{"HSET", pledge, "status", "active", "interval", "once", "sealed_email",
                      "k1:sealed"}},
           .keys = keys,
           .args = {"active", "canceled", "ev-canceled", "1700000000000", day_expiry(), "0", "1",
                    "pm_pl_1_canceled_1", "1700000000000", "pledge.canceled|1|0|0|0||reader", "0"},
           .reply = R"("applied")",
           .after = {{pledge,
                      "{interval=once, sealed_email=k1:sealed, status=canceled, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-canceled]"},
                     {due, "{pm_pl_1_canceled_1:1700000000000}"},
                     {items, "{pm_pl_1_canceled_1=pledge.canceled|1|0|0|0||reader}"}}},
          {.name = "a missing pledge: reported, nothing written",
           .keys = keys,
           .args = paid_counts("active", "ev"),
           .reply = R"("missing")",
           .after = {}},
          {.name = "a pledge not in the expected state: its state, nothing written",
           .given = {a_pledge("active", "month", "500", "USD")},
           .keys = keys,
           .args = paid_counts("active", "ev"),
           .reply = R"("active")",
           .after = {{pledge, "{amount_minor=500, currency=USD, interval=month, status=active}"}}},
          {.name = "pending to active: a monthly pledge counts its amount",
           .given = {a_pledge("pending", "month", "500", "USD")},
           .keys = keys,
           .args = paid_counts("active", "ev-activated"),
           .reply = R"("applied")",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, interval=month, status=active, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-activated]"},
                     {day,
                      "{c1|banner||USD|month|first_payment_minor=500, "
                      "c1|banner||USD|month|pledges_paid=1} ttl=1000s"},
                     {active, "{USD=1}"},
                     {mrr, "{USD=500}"},
                     {version, "1"}}},
          {.name = "active to canceled takes its share back out",
           .given = {a_pledge("active", "month", "500", "USD"), stats[0], stats[1], stats[2]},
           .keys = keys,
           .args = no_counts("active", "canceled", "ev-ended"),
           .reply = R"("applied")",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, interval=month, status=canceled, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-ended]"},
                     {active, "{USD=2}"},
                     {mrr, "{USD=1000}"},
                     {version, "8"}}},
          {.name = "active to past_due keeps the share: the stats and version stay",
           .given = {a_pledge("active", "month", "500", "USD"), stats[0], stats[1], stats[2]},
           .keys = keys,
           .args = no_counts("active", "past_due", "ev-failed"),
           .reply = R"("applied")",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, interval=month, status=past_due, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-failed]"},
                     {active, "{USD=3}"},
                     {mrr, "{USD=1500}"},
                     {version, "7"}}},
          {.name = "a one-time gift paid is not recurring: no stats",
           .given = {a_pledge("pending", "once", "2500", "USD")},
           .keys = keys,
           .args = no_counts("pending", "paid", "ev-paid"),
           .reply = R"("applied")",
           .after = {{pledge,
                      "{amount_minor=2500, currency=USD, interval=once, status=paid, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-paid]"}}},
          {.name = "a yearly JPY pledge activated counts 10000 / 12 = 833 yen",
           .given = {a_pledge("pending", "year", "10000", "JPY")},
           .keys = keys,
           .args = no_counts("pending", "active", "ev-activated"),
           .reply = R"("applied")",
           .after = {{pledge,
                      "{amount_minor=10000, currency=JPY, interval=year, status=active, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-activated]"},
                     {active, "{JPY=1}"},
                     {mrr, "{JPY=833}"},
                     {version, "1"}}},
      });
}

TEST_F(PledgeScripts, ApplyProviderUpdate) {
  const strings keys = {pledge,  events, seen, subscription, active, mrr,
                        version, day,    mark, due,          items};
  // The ARGV with the report's part (after the first eight): whether to take the reader's
  // delivery mark, the give link's conversion field, then the counts (none unless given); then
  // the reader's messages (none unless given).
  const auto with_report = [](strings args, strings report = {"0", "", day_expiry(), "0"},
                              strings messages = {"0"}) {
    args.insert(args.begin() + 8, report.begin(), report.end());
    args.insert(args.begin() + 8 + static_cast<std::ptrdiff_t>(report.size()), messages.begin(),
                messages.end());
    return args;
  };
  const strings pending_monthly = {"HSET",         pledge,    "id",       "pl_1",
                                   "status",       "pending", "interval", "month",
                                   "amount_minor", "500",     "currency", "USD"};
  const strings active_monthly = {"HSET",
                                  pledge,
                                  "id",
                                  "pl_1",
                                  "status",
                                  "active",
                                  "interval",
                                  "month",
                                  "amount_minor",
                                  "500",
                                  "currency",
                                  "USD",
                                  "counted:in_1",
                                  "1",
                                  "charges_succeeded",
                                  "1",
                                  "total_given_minor",
                                  "500",
                                  "consecutive_failures",
                                  "2"};
  // A renewal of in_1 or a failed attempt: no state change, the pledge's counters.
  auto renewal = [&](std::string_view count_once_as, strings messages = {"0"}) {
    return with_report(strings{"active", "", "ev-renewal", "1700000000000", "86400000", "", "2",
                               std::string(count_once_as), "charges_succeeded", "1",
                               "total_given_minor", "500", "last_charge_at_ms", "1700000000000"},
                       {"0", "", day_expiry(), "0"}, std::move(messages));
  };
  // The receipt of in_<n>, due at once, about that payment.
  auto receipt = [](std::string_view invoice) {
    return strings{"1", "pm_pl_1_payment_succeeded_" + std::string(invoice), "1700000000000",
                   "payment_succeeded|" + std::string(invoice), "1"};
  };
  auto with_address = [](strings hset) {
    hset.insert(hset.end(), {"sealed_email", "k1:sealed"});
    return hset;
  };
  check(
      scripts::apply_provider_update,
      {
          {.name = "an event applied before (its mark is there) is a duplicate: nothing written, "
                   "nothing counted or queued, the delivery mark kept",
           .given = {with_address(pending_monthly),
                     {"SET", seen, "1"},
                     {"SET", mark, "c0|email|v1|||"}},
           .keys = keys,
           .args =
               with_report({"pending", "active", "ev", "1700000000000", "86400000", "", "0", ""},
                           {"1", "", day_expiry(), "1", "c1|banner||USD|month|pledges_paid", "1"},
                           {"1", "pm_pl_1_thank_you_1", "1700000000000", "thank_you|", "0"}),
           .reply = R"(["duplicate"])",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, id=pl_1, interval=month, "
                      "sealed_email=k1:sealed, status=pending}"},
                     {seen, "1"},
                     {mark, "c0|email|v1|||"}}},
          {.name = "a missing pledge: reported, nothing written",
           .keys = keys,
           .args =
               with_report({"pending", "active", "ev", "1700000000000", "86400000", "", "0", ""}),
           .reply = R"(["missing"])",
           .after = {}},
          {.name = "a pledge moved on since it was read: its state, nothing written",
           .given = {active_monthly},
           .keys = keys,
           .args =
               with_report({"pending", "active", "ev", "1700000000000", "86400000", "", "0", ""}),
           .reply = R"(["changed", "active"])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=1, consecutive_failures=2, "
                      "counted:in_1=1, currency=USD, id=pl_1, interval=month, status=active, "
                      "total_given_minor=500}"}}},
          {.name = "a checkout completed: activated, counted, indexed, marked, in the stats, in "
                   "the report, and the reader's delivery mark taken as the reminder's conversion",
           .given = {pending_monthly, {"SET", mark, "c0|email|v1|||", "PX", "2592000000"}},
           .keys = {pledge, events, seen, subscription, active, mrr, version, day, mark, due, items,
                    "payment:ch_1", "payment:pi_1"},
           .args = with_report(
               {"pending", "active", "ev-completed", "1700000000000", "86400000", "sub_1", "2",
                "in_1", "charges_succeeded", "1", "total_given_minor", "500", "subscription_id",
                "sub_1", "last_charge_at_ms", "1699999999000"},
               {"1", "c1|banner||||reminders_converted", day_expiry(), "2",
                "c1|banner||USD|month|pledges_paid", "1", "c1|banner||USD|month|recurring_started",
                "1"}),
           .reply = R"(["applied", "c0|email|v1|||reminders_converted"])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=1, counted:in_1=1, currency=USD, "
                      "id=pl_1, interval=month, last_charge_at_ms=1699999999000, status=active, "
                      "subscription_id=sub_1, total_given_minor=500, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-completed]"},
                     {seen, "1 ttl=86400s"},
                     {subscription, "pl_1"},
                     {"payment:ch_1", "pl_1 ttl=34560000s"},
                     {"payment:pi_1", "pl_1 ttl=34560000s"},
                     {active, "{USD=1}"},
                     {mrr, "{USD=500}"},
                     {version, "1"},
                     {day,
                      "{c0|email|v1|||reminders_converted=1, c1|banner||USD|month|pledges_paid=1, "
                      "c1|banner||USD|month|recurring_started=1} ttl=1000s"}}},
          {.name = "a first payment with no delivery on record counts the give link's conversion",
           .given = {pending_monthly},
           .keys = keys,
           .args = with_report(
               {"pending", "active", "ev-completed", "1700000000000", "86400000", "", "0", ""},
               {"1", "c1|reminder||||reminders_converted", day_expiry(), "1",
                "c1|reminder||USD|month|pledges_paid", "1"}),
           .reply = R"(["applied", "c1|reminder||||reminders_converted"])",
           .after = {{pledge,
                      "{amount_minor=500, currency=USD, id=pl_1, interval=month, status=active, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-completed]"},
                     {seen, "1 ttl=86400s"},
                     {active, "{USD=1}"},
                     {mrr, "{USD=500}"},
                     {version, "1"},
                     {day,
                      "{c1|reminder||USD|month|pledges_paid=1, "
                      "c1|reminder||||reminders_converted=1} ttl=1000s"}}},
          {.name = "a payment counted before (under another event) is not counted again",
           .given = {active_monthly},
           .keys = keys,
           .args = renewal("in_1"),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=1, consecutive_failures=2, "
                      "counted:in_1=1, currency=USD, id=pl_1, interval=month, "
                      "last_charge_at_ms=1700000000000, status=active, total_given_minor=500, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-renewal]"},
                     {seen, "1 ttl=86400s"}}},
          {.name = "a new payment is counted, and remembered as counted",
           .given = {active_monthly},
           .keys = keys,
           .args = renewal("in_2"),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=2, consecutive_failures=2, "
                      "counted:in_1=1, counted:in_2=1, currency=USD, id=pl_1, interval=month, "
                      "last_charge_at_ms=1700000000000, status=active, total_given_minor=1000, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-renewal]"},
                     {seen, "1 ttl=86400s"}}},
          {.name = "a new payment queues the reader's receipt, due at once",
           .given = {with_address(active_monthly)},
           .keys = keys,
           .args = renewal("in_2", receipt("in_2")),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=2, consecutive_failures=2, "
                      "counted:in_1=1, counted:in_2=1, currency=USD, id=pl_1, interval=month, "
                      "last_charge_at_ms=1700000000000, sealed_email=k1:sealed, status=active, "
                      "total_given_minor=1000, updated_at_ms=1700000000000}"},
                     {events, "[ev-renewal]"},
                     {seen, "1 ttl=86400s"},
                     {due, "{pm_pl_1_payment_succeeded_in_2:1700000000000}"},
                     {items, "{pm_pl_1_payment_succeeded_in_2=payment_succeeded|in_2}"}}},
          {.name = "a payment counted before (its event re-fed after the mark expired) queues no "
                   "second receipt",
           .given = {with_address(active_monthly)},
           .keys = keys,
           .args = renewal("in_1", receipt("in_1")),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=1, consecutive_failures=2, "
                      "counted:in_1=1, currency=USD, id=pl_1, interval=month, "
                      "last_charge_at_ms=1700000000000, sealed_email=k1:sealed, status=active, "
                      "total_given_minor=500, updated_at_ms=1700000000000}"},
                     {events, "[ev-renewal]"},
                     {seen, "1 ttl=86400s"}}},
          {.name = "a pledge without an address (never given, or erased) queues nothing",
           .given = {active_monthly},
           .keys = keys,
           .args = renewal("in_2", receipt("in_2")),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=2, consecutive_failures=2, "
                      "counted:in_1=1, counted:in_2=1, currency=USD, id=pl_1, interval=month, "
                      "last_charge_at_ms=1700000000000, status=active, total_given_minor=1000, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-renewal]"},
                     {seen, "1 ttl=86400s"}}},
          {.name = "a message queued before stays as it was queued; a new one is queued beside it",
           .given = {with_address(active_monthly),
                     {"HSET", active, "USD", "1"},
                     {"HSET", mrr, "USD", "500"},
                     {"HSET", items, "pm_pl_1_canceled_1", "canceled|reader"},
                     {"ZADD", due, "1600000000000", "pm_pl_1_canceled_1"}},
           .keys = keys,
           .args = with_report(
               {"active", "canceled", "ev-ended", "1700000000000", "86400000", "", "0", ""},
               {"0", "", day_expiry(), "0"},
               {"2", "pm_pl_1_canceled_1", "1700000000000", "canceled|provider", "0",
                "pm_pl_1_thank_you_1", "1700000000000", "thank_you|", "0"}),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=1, consecutive_failures=2, "
                      "counted:in_1=1, currency=USD, id=pl_1, interval=month, "
                      "sealed_email=k1:sealed, status=canceled, total_given_minor=500, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-ended]"},
                     {seen, "1 ttl=86400s"},
                     {active, "{USD=0}"},
                     {mrr, "{USD=0}"},
                     {version, "1"},
                     {due, "{pm_pl_1_canceled_1:1600000000000, pm_pl_1_thank_you_1:1700000000000}"},
                     {items,
                      "{pm_pl_1_canceled_1=canceled|reader, pm_pl_1_thank_you_1=thank_you|}"}}},
          {.name = "increments with no payment named are applied (the mark makes them once)",
           .given = {active_monthly},
           .keys = keys,
           .args = with_report({"active", "past_due", "ev-failed", "1700000000000", "86400000", "",
                                "1", "", "consecutive_failures", "1"}),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=1, consecutive_failures=3, "
                      "counted:in_1=1, currency=USD, id=pl_1, interval=month, status=past_due, "
                      "total_given_minor=500, updated_at_ms=1700000000000}"},
                     {events, "[ev-failed]"},
                     {seen, "1 ttl=86400s"}}},
          {.name = "refunds are kept per charge; the pledge's total is their sum",
           .given = {{"HSET", pledge, "id", "pl_1", "status", "paid", "interval", "once",
                      "refunded:ch_1", "200", "refunded:ch_2", "100"}},
           .keys = keys,
           .args = with_report({"paid", "", "ev-refund", "1700000000000", "86400000", "", "0", "",
                                "refunded:ch_2", "300"}),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{id=pl_1, interval=once, refunded:ch_1=200, refunded:ch_2=300, "
                      "status=paid, total_refunded_minor=500, updated_at_ms=1700000000000}"},
                     {events, "[ev-refund]"},
                     {seen, "1 ttl=86400s"}}},
          {.name = "a subscription ended: canceled, its share out of the stats",
           .given = {active_monthly,
                     {"HSET", active, "USD", "1"},
                     {"HSET", mrr, "USD", "500"},
                     {"SET", version, "3"}},
           .keys = keys,
           .args = with_report(
               {"active", "canceled", "ev-ended", "1700000000000", "86400000", "sub_1", "0", ""}),
           .reply = R"(["applied", ""])",
           .after = {{pledge,
                      "{amount_minor=500, charges_succeeded=1, consecutive_failures=2, "
                      "counted:in_1=1, currency=USD, id=pl_1, interval=month, status=canceled, "
                      "total_given_minor=500, updated_at_ms=1700000000000}"},
                     {events, "[ev-ended]"},
                     {seen, "1 ttl=86400s"},
                     {subscription, "pl_1"},
                     {active, "{USD=0}"},
                     {mrr, "{USD=0}"},
                     {version, "4"}}},
      });
}

TEST_F(PledgeScripts, ConfirmAddress) {
  check(
      scripts::confirm_address,
      {
          {.name = "the address the reader paid with replaces the form's",
           .given = {{"HSET", pledge, "status", "active", "sealed_email", "k1:form"},
                     {"SADD", "reader:form", "pl_1"}},
           .keys = {pledge, "reader:paid"},
           .args = {"k1:paid", "pl_1"},
           .reply = "1",
           .after = {{pledge, "{reader_indexes=reader:paid, sealed_email=k1:paid, status=active}"},
                     {"reader:form", "(pl_1)"},
                     {"reader:paid", "(pl_1)"}}},
          {.name = "the paid address's index joins the form's in the pledge's list, once",
           .given = {{"HSET", pledge, "status", "active", "sealed_email", "k1:form",
                      "reader_indexes", "reader:form"},
                     {"SADD", "reader:form", "pl_1"}},
           .keys = {pledge, "reader:paid"},
           .args = {"k1:paid", "pl_1"},
           .reply = "1",
           .after = {{pledge,
                      "{reader_indexes=reader:form reader:paid, sealed_email=k1:paid, "
                      "status=active}"},
                     {"reader:form", "(pl_1)"},
                     {"reader:paid", "(pl_1)"}}},
          {.name = "paid with the form's address: listed once",
           .given = {{"HSET", pledge, "status", "active", "sealed_email", "k1:form",
                      "reader_indexes", "reader:form"},
                     {"SADD", "reader:form", "pl_1"}},
           .keys = {pledge, "reader:form"},
           .args = {"k1:paid", "pl_1"},
           .reply = "1",
           .after = {{pledge, "{reader_indexes=reader:form, sealed_email=k1:paid, status=active}"},
                     {"reader:form", "(pl_1)"}}},
          {.name = "an erased pledge keeps no address, and gets none back",
           .given = {{"HSET", pledge, "status", "active"}},
           .keys = {pledge},
           .args = {"k1:paid"},
           .reply = "0",
           .after = {{pledge, "{status=active}"}}},
          {.name = "no pledge, nothing written",
           .keys = {pledge},
           .args = {"k1:paid"},
           .reply = "0",
           .after = {}},
      });
}

TEST_F(PledgeScripts, EraseReader) {
  check(scripts::erase_reader,
        {
            {.name = "the reader's address and name leave their pledges; the accounting stays",
             .given = {{"HSET", "pledge:pl_1", "status", "active", "amount_minor", "500",
                        "sealed_email", "k1:a", "sealed_name", "k1:n"},
                       {"HSET", "pledge:pl_2", "status", "paid", "sealed_email", "k1:b"},
                       {"SADD", "reader:r1", "pl_1", "pl_2"}},
             .keys = {"reader:r1", "pledge:pl_1", "pledge:pl_2"},
             .args = {"pl_1", "pl_2"},
             .reply = "2",
             .after = {{"pledge:pl_1", "{amount_minor=500, status=active}"},
                       {"pledge:pl_2", "{status=paid}"}}},
            {.name = "erased by either address, the pledge leaves both indexes",
             .given = {{"HSET", "pledge:pl_1", "status", "active", "sealed_email", "k1:paid",
                        "reader_indexes", "reader:form reader:paid"},
                       {"SADD", "reader:form", "pl_1"},
                       {"SADD", "reader:paid", "pl_1", "pl_9"}},
             .keys = {"reader:form", "pledge:pl_1"},
             .args = {"pl_1"},
             .reply = "1",
             .after = {{"pledge:pl_1", "{status=active}"}, {"reader:paid", "(pl_9)"}}},
            {.name = "a pledge the reader made after the index was read stays listed, with its "
                     "address, for the next erasure",
             .given = {{"HSET", "pledge:pl_1", "status", "active", "sealed_email", "k1:a"},
                       {"HSET", "pledge:pl_3", "status", "pending", "sealed_email", "k1:c"},
                       {"SADD", "reader:r1", "pl_1", "pl_3"}},
             .keys = {"reader:r1", "pledge:pl_1"},
             .args = {"pl_1"},
             .reply = "1",
             .after = {{"pledge:pl_1", "{status=active}"},
                       {"pledge:pl_3", "{sealed_email=k1:c, status=pending}"},
                       {"reader:r1", "(pl_3)"}}},
            {.name = "again: nothing left to erase",
             .given = {{"HSET", "pledge:pl_1", "status", "active"}},
             .keys = {"reader:r1", "pledge:pl_1"},
             .args = {"pl_1"},
             .reply = "0",
             .after = {{"pledge:pl_1", "{status=active}"}}},
        });
}

TEST_F(PledgeScripts, ReadStats) {
  check(
      scripts::read_stats,
      {
          {.name = "nothing counted yet",
           .keys = {active, mrr, rebuilt},
           .reply = "[[], [], nil]",
           .after = {}},
          {.name = "both hashes and when they were rebuilt",
           .given = {{"HSET", active, "USD", "2", "EUR", "1"},
                     {"HSET", mrr, "USD", "1000", "EUR", "108"},
                     {"SET", rebuilt, "1700000000000"}},
           .keys = {active, mrr, rebuilt},
           .reply = R"([["USD", "2", "EUR", "1"], ["USD", "1000", "EUR", "108"], "1700000000000"])",
           .after = {{active, "{EUR=1, USD=2}"},
                     {mrr, "{EUR=108, USD=1000}"},
                     {rebuilt, "1700000000000"}}},
      });
}

TEST_F(PledgeScripts, ReadPledges) {
  check(scripts::read_pledges,
        {
            {.name = "what the stats count of each pledge; nils for one gone since the SCAN",
             .given = {{"HSET", "pledge:a", "status", "active", "interval", "month", "amount_minor",
                        "500", "currency", "USD", "campaign", "winter"},
                       {"HSET", "pledge:c", "status", "pending", "interval", "once", "amount_minor",
                        "700", "currency", "JPY"}},
             .keys = {"pledge:a", "pledge:b", "pledge:c"},
             .reply = R"([["active", "month", "500", "USD"], [nil, nil, nil, nil], )"
                      R"(["pending", "once", "700", "JPY"]])",
             .after = {{"pledge:a",
                        "{amount_minor=500, campaign=winter, currency=USD, interval=month, "
                        "status=active}"},
                       {"pledge:c",
                        "{amount_minor=700, currency=JPY, interval=once, status=pending}"}}},
        });
}

TEST_F(PledgeScripts, ReplaceStats) {
  const strings keys = {active, mrr, version, rebuilt};
  const strings counted[] = {{"HSET", active, "USD", "3", "GBP", "1"},
                             {"HSET", mrr, "USD", "1500", "GBP", "250"},
                             {"SET", version, "7"}};
  check(scripts::replace_stats,
        {
            {.name = "a pledge changed since the read (the version moved): nothing written",
             .given = {counted[0], counted[1], counted[2]},
             .keys = keys,
             .args = {"6", "1700000000000", "USD", "2", "1000"},
             .reply = R"(["changed"])",
             .after = {{active, "{GBP=1, USD=3}"}, {mrr, "{GBP=250, USD=1500}"}, {version, "7"}}},
            {.name = "never counted: read at version 0, the sums are written",
             .keys = keys,
             .args = {"0", "1700000000000", "USD", "2", "1000", "EUR", "1", "108"},
             .reply = "[\"replaced\", [], []]",
             .after = {{active, "{EUR=1, USD=2}"},
                       {mrr, "{EUR=108, USD=1000}"},
                       {rebuilt, "1700000000000"}}},
            {.name = "the sums replace what was there, which is answered; the version stays",
             .given = {counted[0], counted[1], counted[2]},
             .keys = keys,
             .args = {"7", "1700000000000", "USD", "2", "1000"},
             .reply = R"(["replaced", ["USD", "3", "GBP", "1"], ["USD", "1500", "GBP", "250"]])",
             .after = {{active, "{USD=2}"},
                       {mrr, "{USD=1000}"},
                       {version, "7"},
                       {rebuilt, "1700000000000"}}},
            {.name = "no active recurring pledge left: the hashes go",
             .given = {counted[0], counted[1], counted[2]},
             .keys = keys,
             .args = {"7", "1700000000000"},
             .reply = R"(["replaced", ["USD", "3", "GBP", "1"], ["USD", "1500", "GBP", "250"]])",
             .after = {{version, "7"}, {rebuilt, "1700000000000"}}},
        });
}

TEST_F(PledgeScripts, ChangeAmount) {
  const strings keys = {pledge, events, active, mrr, version};
  auto a_pledge = [](std::string_view status, std::string_view every, std::string_view amount) {
    return strings{"HSET",         pledge,
                   "status",       std::string(status),
                   "interval",     std::string(every),
                   "amount_minor", std::string(amount),
                   "currency",     "USD"};
  };
  const strings stats[] = {
      {"HSET", active, "USD", "3"}, {"HSET", mrr, "USD", "1500"}, {"SET", version, "7"}};
  check(scripts::change_amount,
        {
            {.name = "a monthly pledge's new amount moves the MRR by the difference",
             .given = {a_pledge("active", "month", "500"), stats[0], stats[1], stats[2]},
             .keys = keys,
             .args = {"active", "750", "ev-amount", "1700000000000"},
             .reply = R"("applied")",
             .after = {{pledge,
                        "{amount_minor=750, currency=USD, interval=month, status=active, "
                        "updated_at_ms=1700000000000}"},
                       {events, "[ev-amount]"},
                       {active, "{USD=3}"},
                       {mrr, "{USD=1750}"},
                       {version, "8"}}},
            {.name = "a yearly pledge's by the difference of the twelfths; past_due counts too",
             .given = {a_pledge("past_due", "year", "1200"), stats[0], stats[1], stats[2]},
             .keys = keys,
             .args = {"past_due", "2400", "ev-amount", "1700000000000"},
             .reply = R"("applied")",
             .after = {{pledge,
                        "{amount_minor=2400, currency=USD, interval=year, status=past_due, "
                        "updated_at_ms=1700000000000}"},
                       {events, "[ev-amount]"},
                       {active, "{USD=3}"},
                       {mrr, "{USD=1600}"},
                       {version, "8"}}},
            {.name = "the amount it has already: nothing written",
             .given = {a_pledge("active", "month", "500"), stats[0]},
             .keys = keys,
             .args = {"active", "500", "ev-amount", "1700000000000"},
             .reply = R"("unchanged")",
             .after = {{pledge, "{amount_minor=500, currency=USD, interval=month, status=active}"},
                       {active, "{USD=3}"}}},
            {.name = "a pledge not in the expected state: its state, nothing written",
             .given = {a_pledge("canceled", "month", "500")},
             .keys = keys,
             .args = {"active", "750", "ev-amount", "1700000000000"},
             .reply = R"("canceled")",
             .after = {{pledge,
                        "{amount_minor=500, currency=USD, interval=month, status=canceled}"}}},
            {.name = "a missing pledge: reported, nothing written",
             .keys = keys,
             .args = {"active", "750", "ev-amount", "1700000000000"},
             .reply = R"("missing")",
             .after = {}},
        });
}

TEST_F(PledgeScripts, PausePledge) {
  const strings keys = {pledge, events};
  const strings running = {"HSET", pledge, "status", "active", "amount_minor", "500"};
  const strings paused = {"HSET",         pledge, "status",          "active",
                          "amount_minor", "500",  "paused_until_ms", "1702000000000"};
  check(
      scripts::pause_pledge,
      {
          {.name = "a pause: until when, in the history",
           .given = {running},
           .keys = keys,
           .args = {"active", "1702000000000", "ev-paused", "1700000000000"},
           .reply = R"("applied")",
           .after = {{pledge,
                      "{amount_minor=500, paused_until_ms=1702000000000, status=active, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-paused]"}}},
          {.name = "a longer pause replaces the shorter",
           .given = {paused},
           .keys = keys,
           .args = {"active", "1705000000000", "ev-paused", "1700000000000"},
           .reply = R"("applied")",
           .after = {{pledge,
                      "{amount_minor=500, paused_until_ms=1705000000000, status=active, "
                      "updated_at_ms=1700000000000}"},
                     {events, "[ev-paused]"}}},
          {.name = "the same pause again: nothing written",
           .given = {paused},
           .keys = keys,
           .args = {"active", "1702000000000", "ev-paused", "1700000000000"},
           .reply = R"("unchanged")",
           .after = {{pledge, "{amount_minor=500, paused_until_ms=1702000000000, status=active}"}}},
          {.name = "a resumption clears the pause, in the history",
           .given = {paused},
           .keys = keys,
           .args = {"active", "", "ev-resumed", "1700000000000"},
           .reply = R"("applied")",
           .after = {{pledge, "{amount_minor=500, status=active, updated_at_ms=1700000000000}"},
                     {events, "[ev-resumed]"}}},
          {.name = "resuming after the pause is over drops its date, not in the history",
           .given = {paused},
           .keys = keys,
           .args = {"active", "", "ev-resumed", "1703000000000"},
           .reply = R"("unchanged")",
           .after = {{pledge, "{amount_minor=500, status=active}"}}},
          {.name = "resuming what is not paused: nothing written",
           .given = {running},
           .keys = keys,
           .args = {"active", "", "ev-resumed", "1700000000000"},
           .reply = R"("unchanged")",
           .after = {{pledge, "{amount_minor=500, status=active}"}}},
          {.name = "a pledge not in the expected state: its state, nothing written",
           .given = {running},
           .keys = keys,
           .args = {"past_due", "1702000000000", "ev-paused", "1700000000000"},
           .reply = R"("active")",
           .after = {{pledge, "{amount_minor=500, status=active}"}}},
          {.name = "a missing pledge: reported, nothing written",
           .keys = keys,
           .args = {"active", "1702000000000", "ev-paused", "1700000000000"},
           .reply = R"("missing")",
           .after = {}},
      });
}

}  // namespace
}  // namespace supportd::pledges

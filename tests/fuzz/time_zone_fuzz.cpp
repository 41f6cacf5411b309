// Time zones: wall-clock arithmetic in real zones with odd rules. The input picks a zone, an
// instant and a wall-clock time (FuzzedDataProvider takes numbers from the end).
// Invariants: the wall-clock time of an instant maps back to the earliest instant that shows it,
// and a wall-clock time maps to an instant that shows it, or, when clocks skipped it, to the first
// instant after the skip (at most a day later).
#include <fuzzer/FuzzedDataProvider.h>

#include <array>

#include "fuzz_check.hpp"
#include "reminders/time_zone.hpp"

namespace {

using namespace supportd::reminders;
using supportd::fuzz::expect;

constexpr std::int64_t day = 86'400;

// Half-hour DST (Lord_Howe), a skipped day (Apia), negative DST (Dublin, Casablanca), two-hour
// DST (Troll), southern hemisphere (Santiago), 45-minute offsets (Chatham, Kathmandu), and the
// plain cases.
constexpr std::array<const char*, 12> zones = {"UTC",
                                               "Europe/London",
                                               "America/New_York",
                                               "Australia/Lord_Howe",
                                               "Pacific/Apia",
                                               "Europe/Dublin",
                                               "Africa/Casablanca",
                                               "Antarctica/Troll",
                                               "America/Santiago",
                                               "Pacific/Chatham",
                                               "Asia/Kathmandu",
                                               "America/St_Johns"};

std::int64_t local_seconds(const time_zone& zone, std::int64_t instant) {
  return instant + zone.offset_at(instant);
}

void check_real_zone(FuzzedDataProvider& in) {
  auto zone = time_zone::find(zones[in.ConsumeIntegralInRange<std::size_t>(0, zones.size() - 1)]);
  expect(zone != nullptr, "the real zones load");
  // 1800 to 2200: past the last change Debian's files list (2037), its offset holds.
  constexpr std::int64_t earliest = -5364662400, latest = 7258118400;

  auto instant = in.ConsumeIntegralInRange<std::int64_t>(earliest, latest);
  auto shown = civil_from_seconds(local_seconds(*zone, instant));
  auto back = zone->to_utc(shown);
  expect(civil_from_seconds(local_seconds(*zone, back)) == shown && back <= instant,
         "an instant's wall-clock time maps back to the earliest instant showing it");

  auto wall = in.ConsumeIntegralInRange<std::int64_t>(earliest, latest);
  auto asked = civil_from_seconds(wall);
  auto placed = zone->to_utc(asked);
  auto placed_wall = local_seconds(*zone, placed);
  expect(placed_wall >= wall && placed_wall <= wall + day,
         "a wall-clock time maps to itself, or after a skip to at most a day later");
  for (auto offset : {zone->offset_at(placed - 2 * day), zone->offset_at(placed + 2 * day),
                      zone->offset_at(placed)}) {
    if (local_seconds(*zone, wall - offset) == wall) {
      expect(placed_wall == wall && wall - offset >= placed,
             "of the instants showing a wall-clock time, the earliest is chosen");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  check_real_zone(in);
  return 0;
}

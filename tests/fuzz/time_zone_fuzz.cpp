// Time zones: the TZif reader on arbitrary files, and wall-clock arithmetic in real zones with
// odd rules. The last byte chooses (FuzzedDataProvider takes numbers from the end): odd, the rest
// is a TZif file to load; even, the rest picks a real zone, an instant and a wall-clock time.
// Invariants: a loaded file's offsets stay within RFC 8536's bounds and placing a wall-clock time
// stays within them too; in real zones, the wall-clock time of an instant maps back to the
// earliest instant that shows it, and a wall-clock time maps to an instant that shows it, or, when
// clocks skipped it, to the first instant after the skip (at most a day later).
#include <fuzzer/FuzzedDataProvider.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_check.hpp"
#include "reminders/time_zone.hpp"

namespace {

using namespace supportd::reminders;
using supportd::fuzz::expect;

constexpr std::int32_t min_offset = -89'999;  // RFC 8536 section 3.2
constexpr std::int32_t max_offset = 93'599;
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

const std::filesystem::path& scratch_root() {
  static const std::filesystem::path root = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "supportd-tzif-XXXXXX").string();
    expect(mkdtemp(dir.data()) != nullptr, "a scratch directory can be made");
    std::filesystem::create_directories(std::filesystem::path(dir) / "Fuzz");
    return std::filesystem::path(dir);
  }();
  return root;
}

void check_tzif(const std::string& bytes) {
  {
    std::ofstream file(scratch_root() / "Fuzz" / "Zone", std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  auto zone = time_zone::load("Fuzz/Zone", scratch_root());
  if (!zone) {
    return;
  }
  for (std::int64_t t : {-9'000'000'000'000LL, -2208988800LL, 0LL, 1700000000LL, 2147483648LL,
                         253402300799LL, 9'000'000'000'000LL}) {
    auto offset = zone->offset_at(t);
    expect(offset >= min_offset && offset <= max_offset, "offsets stay within a day or so");
    if (t > -day * 3'000'000 && t < day * 3'000'000) {
      auto wall = t + offset;
      auto placed = zone->to_utc(civil_from_seconds(wall));
      expect(placed >= wall - max_offset && placed <= wall - min_offset,
             "a wall-clock time is placed within the offsets' reach");
    }
  }
}

void check_real_zone(FuzzedDataProvider& in) {
  auto zone = time_zone::find(zones[in.ConsumeIntegralInRange<std::size_t>(0, zones.size() - 1)]);
  expect(zone != nullptr, "the real zones load");
  // 1800 to 2200: past the last transition Debian's files list, the footer's rule applies.
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
  if (in.ConsumeIntegral<std::uint8_t>() % 2 == 1) {
    check_tzif(in.ConsumeRemainingBytesAsString());
  } else {
    check_real_zone(in);
  }
  return 0;
}

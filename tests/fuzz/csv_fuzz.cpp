// Fuzz target for the suppression list's CSV import: any bytes in, never a crash; every entry it
// keeps is a plausible lower-case address, every refused record names its line, and exporting
// the entries and importing the export gives the same entries back (the two directions agree).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <sesami/json_src.hpp>

#include "app/suppression.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::int64_t now = 1'764'000'000'000;
  const auto in = sesami::app::suppression_from_csv(input, now);
  for (const auto& e : in.entries)
    if (!sesami::app::plausible_address(e.address)) __builtin_trap();
  for (const auto& pr : in.problems)
    if (pr.line == 0 || pr.message.empty()) __builtin_trap();

  const auto csv = sesami::app::suppression_to_csv(in.entries);
  const auto back = sesami::app::suppression_from_csv(csv, now + 1);
  if (!back.problems.empty() || back.entries.size() != in.entries.size()) __builtin_trap();
  for (std::size_t i = 0; i < in.entries.size(); ++i) {
    const auto &a = in.entries[i], &b = back.entries[i];
    if (a.address != b.address || a.reason != b.reason || a.event_id != b.event_id ||
        a.created_at != b.created_at)
      __builtin_trap();
  }
  return 0;
}

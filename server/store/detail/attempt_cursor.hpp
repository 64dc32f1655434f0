#pragma once
// The cursor of GET /mail/attempts pages, the same on both backends: the decimal sequence number
// of the last attempt given out; a page lists attempts before it.
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "../store.hpp"

namespace sesami::store::detail {

/// The sequence number a page starts before: the largest there is for no cursor.
inline result<std::int64_t> attempts_before(const std::string& cursor) {
  if (cursor.empty()) return std::numeric_limits<std::int64_t>::max();
  try {
    std::size_t used = 0;
    const std::int64_t before = std::stoll(cursor, &used);
    if (used == cursor.size() && before > 0) return before;
  } catch (const std::exception&) {
  }
  return error{errc::bad_input, "cursor: not one this server gave out"};
}

}  // namespace sesami::store::detail

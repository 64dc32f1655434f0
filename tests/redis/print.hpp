#pragma once
// How Catch2 prints the Redis client's results in failure messages (boost::system::result streams
// its value or error; these say how). The password never appears: config prints redacted.
#include <ostream>

#include "../../server/store/redis/client.hpp"

namespace sesami::redis {
inline std::ostream& operator<<(std::ostream& os, const reply& r) {
  return os << "reply{type " << static_cast<int>(r.type) << ", " << r.integer << ", \"" << r.str
            << "\", " << r.elements.size() << " elements}";
}
inline std::ostream& operator<<(std::ostream& os, const error& e) {
  return os << (e.transport ? "transport error: " : "Redis error: ") << e.message;
}
inline std::ostream& operator<<(std::ostream& os, const config& c) { return os << redacted(c); }
}  // namespace sesami::redis

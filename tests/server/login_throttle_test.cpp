// The sign-in throttle (app/login_throttle.hpp) directly: its window, what a success clears, and
// that a flood of made-up names overflowing its table does not wash out a throttle in force.
// (The HTTP path — 429 with Retry-After after five failures — is in api_test.cpp.)
#include "../../server/app/login_throttle.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../../server/app/password_gate.hpp"

using sesami::app::login_throttle;
using sesami::app::password_gate;

namespace {
constexpr std::int64_t t0 = 1'800'000'000'000;  // any fixed "now", in ms
}

TEST_CASE("login throttle: five failures in the window throttle the email and the address",
          "[auth][throttle]") {
  login_throttle t;
  for (int i = 0; i < 4; ++i) t.record_failure("a@example.com", "192.0.2.1", t0 + i);
  CHECK_FALSE(t.throttled("a@example.com", "192.0.2.1", t0 + 10));
  t.record_failure("a@example.com", "192.0.2.1", t0 + 4);
  CHECK(t.throttled("a@example.com", "192.0.2.9", t0 + 10));  // the email, from anywhere
  CHECK(t.throttled("b@example.com", "192.0.2.1", t0 + 10));  // the address, for any email
  CHECK_FALSE(t.throttled("b@example.com", "192.0.2.9", t0 + 10));

  // A success clears the email's failures, not the address's.
  t.clear_email("a@example.com");
  CHECK_FALSE(t.throttled("a@example.com", "192.0.2.9", t0 + 10));
  CHECK(t.throttled("a@example.com", "192.0.2.1", t0 + 10));

  // The window: throttled until the oldest failure is 15 minutes old.
  CHECK(t.throttled("c@example.com", "192.0.2.1", t0 + login_throttle::window_ms - 1));
  CHECK_FALSE(t.throttled("c@example.com", "192.0.2.1", t0 + login_throttle::window_ms + 10));
}

TEST_CASE("login throttle: a flood of made-up names does not free throttled keys",
          "[auth][throttle]") {
  constexpr std::size_t capacity = 200;
  login_throttle t(capacity);
  // An attacker guessing the owner's password from one address: both throttled.
  for (int i = 0; i < 5; ++i) t.record_failure("owner@example.com", "198.51.100.7", t0 + i);
  // The owner's email, guessed from five different addresses: throttled by email alone.
  for (int i = 0; i < 5; ++i)
    t.record_failure("admin@example.com", "203.0.113." + std::to_string(i), t0 + i);
  REQUIRE(t.throttled("owner@example.com", "192.0.2.200", t0 + 10));
  REQUIRE(t.throttled("someone@example.com", "198.51.100.7", t0 + 10));
  REQUIRE(t.throttled("admin@example.com", "192.0.2.200", t0 + 10));

  // Then 10 000 failures with made-up names from made-up addresses, 50 times the table.
  std::size_t largest = 0;
  for (int i = 0; i < 10000; ++i) {
    t.record_failure("nobody-" + std::to_string(i) + "@example.com",
                     "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1",
                     t0 + 100 + i);
    largest = std::max(largest, t.size());
  }
  // Memory stayed bounded...
  CHECK(largest <= capacity + 2);
  // ...and every throttle in force before the flood is still in force.
  CHECK(t.throttled("owner@example.com", "192.0.2.200", t0 + 20000));
  CHECK(t.throttled("someone@example.com", "198.51.100.7", t0 + 20000));
  CHECK(t.throttled("admin@example.com", "192.0.2.200", t0 + 20000));
  // Made-up names with one failure each were what got forgotten.
  CHECK_FALSE(t.throttled("nobody-1@example.com", "192.0.2.200", t0 + 20000));

  // Once the window has passed, the old failures go first and the throttles end.
  const auto later = t0 + login_throttle::window_ms + 20000;
  for (int i = 0; i < 2 * static_cast<int>(capacity); ++i)
    t.record_failure("late-" + std::to_string(i) + "@example.com", "192.0.2.250", later);
  CHECK_FALSE(t.throttled("owner@example.com", "192.0.2.200", later));
  CHECK_FALSE(t.throttled("admin@example.com", "192.0.2.200", later));
}

TEST_CASE("login throttle: attempts in flight count as failures until they are decided",
          "[auth][throttle]") {
  login_throttle t;
  // Five attempts reserved at once (none decided yet): the sixth is refused before any hash.
  std::vector<login_throttle::ticket> in_flight;
  for (int i = 0; i < 5; ++i) {
    auto k = t.reserve("a@example.com", "192.0.2." + std::to_string(i), t0);
    REQUIRE(k);
    in_flight.push_back(std::move(*k));
  }
  CHECK_FALSE(t.reserve("a@example.com", "192.0.2.99", t0));
  CHECK(t.throttled("a@example.com", "192.0.2.99", t0));
  // Attempts that checked no password (busy, store down) leave nothing behind.
  for (auto& k : in_flight) k.not_tried();
  in_flight.clear();
  CHECK_FALSE(t.throttled("a@example.com", "192.0.2.99", t0));
  // Decided as failures, they are remembered for the window.
  for (int i = 0; i < 5; ++i) REQUIRE(t.reserve("b@example.com", "198.51.100.1", t0));
  CHECK(t.throttled("b@example.com", "198.51.100.2", t0 + 1));
  // A success clears its email's failures and its own reservation.
  {
    auto k = t.reserve("c@example.com", "203.0.113.1", t0);
    REQUIRE(k);
    k->succeeded();
  }
  CHECK(t.size() == 2);  // b's email and address only
}

TEST_CASE("password gate: at most `slots` hashes at once, refused beyond at once",
          "[auth][throttle]") {
  password_gate g(2);
  auto a = g.try_enter(), b = g.try_enter();
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(g.try_enter());
  CHECK(g.refused() == 1);
  a.reset();
  auto c = g.try_enter();
  CHECK(c);
  CHECK_FALSE(g.try_enter());
  CHECK(g.refused() == 2);
}

// Retention run by the background purger (issue #21): batches paced by the caller, and several
// purgers at once (two nodes on PostgreSQL, a CLI next to a server on SQLite) deleting each old
// event exactly once, on every backend.
#include <atomic>
#include <thread>

#include "helpers.hpp"

using namespace store_test;
using sesami::event_type;

namespace {
constexpr std::int64_t day = 24 * hour;
constexpr std::int64_t now = t0 + 100 * day;
constexpr std::int64_t cutoff = now - 30 * day;

std::int64_t count_events(const std::string& path, const std::string& where) {
  return sql_int(path, "SELECT count(*) FROM events WHERE " + where);
}

// 100 days of sends, tagged; "other" has events in one old month, so on PostgreSQL that month is
// purged row by row while the others are dropped whole.
void fill(sesami::store::store& s) {
  std::vector<sesami::event> events;
  for (int i = 0; i < 6000; ++i) {
    events.push_back(make_event("m" + std::to_string(i), event_type::send,
                                "r" + std::to_string(i % 50) + "@x.com", t0 + (i % 100) * day + i));
    events.back().tags = {{"campaign", {"c" + std::to_string(i % 3)}}};
  }
  ingest(s, events, "default", now);
  REQUIRE(s.ensure_workspace("other"));
  ingest(s, {make_event("o1", event_type::send, "o@y.com", t0 + 5 * day)}, "other", now);
}
}  // namespace

TEST_CASE("retention: two purgers at once delete each old event once", "[store][retention]") {
  temp_dir dir;
  const auto path = dir.file("ret2.db");
  auto a = open(path);
  fill(*a);
  auto b = open(path);  // a second node (or the CLI next to the server)
  const auto old = count_events(path, "workspace = 'default' AND ts < " + std::to_string(cutoff));
  REQUIRE(old > 0);
  auto before = a->rollups("default", 0, now + day);
  REQUIRE(before);
  REQUIRE(a->set_retention("default", 30));

  std::atomic<std::size_t> da{0}, db{0};
  auto pace = [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
  };
  std::thread ta([&] {
    auto r = a->apply_retention("default", now, 100, pace);
    CHECK(r);
    if (r) da = *r;
  });
  std::thread tb([&] {
    auto r = b->apply_retention("default", now, 100, pace);
    CHECK(r);
    if (r) db = *r;
  });
  ta.join();
  tb.join();
  CHECK(da + db == static_cast<std::size_t>(old));  // every old event deleted, none twice
  CHECK(count_events(path, "ts < " + std::to_string(cutoff) + " AND workspace = 'default'") == 0);
  CHECK(count_events(path, "workspace = 'other'") == 1);  // another workspace's events stay
  CHECK(sql_int(path, "SELECT count(*) FROM event_tags WHERE ts < " + std::to_string(cutoff)) == 0);
  CHECK(*before == *a->rollups("default", 0, now + day));  // the rollups stay
}

TEST_CASE("retention: the caller paces the batches and can stop between them",
          "[store][retention]") {
  temp_dir dir;
  const auto path = dir.file("ret3.db");
  auto s = open(path);
  fill(*s);
  const auto old = count_events(path, "workspace = 'default' AND ts < " + std::to_string(cutoff));
  REQUIRE(s->set_retention("default", 30));

  SECTION("stopped at the first pause: the rest waits for the next pass") {
    auto r = s->apply_retention("default", now, 100, [] { return false; });
    REQUIRE(r);
    CHECK(count_events(path, "workspace = 'default' AND ts < " + std::to_string(cutoff)) > 0);
    auto rest = s->apply_retention("default", now, 100);
    REQUIRE(rest);
    CHECK(static_cast<std::int64_t>(*r + *rest) == old);
  }
  SECTION("a pause after every batch") {
    std::size_t pauses = 0;
    auto r = s->apply_retention("default", now, 100, [&] {
      ++pauses;
      return true;
    });
    REQUIRE(r);
    CHECK(static_cast<std::int64_t>(*r) == old);
    CHECK(pauses >= 1);
    CHECK(count_events(path, "workspace = 'default' AND ts < " + std::to_string(cutoff)) == 0);
  }
}

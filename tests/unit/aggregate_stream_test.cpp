#include <sesami/aggregate_stream.hpp>  // first: proves the header self-contained

#include <catch2/catch.hpp>

#include <sesami/aggregate_json.hpp>

#include "random_events.hpp"

using namespace sesami;

namespace {
/// The events cut into pieces of `size` (the last one shorter), each a batch of its own.
std::vector<batch> pieces(const std::vector<event>& events, std::size_t size) {
  std::vector<batch> out;
  for (std::size_t i = 0; i < events.size(); i += size) {
    const auto end = std::min(events.size(), i + size);
    out.push_back(
        *make_batch(std::vector<event>(events.begin() + static_cast<std::ptrdiff_t>(i),
                                       events.begin() + static_cast<std::ptrdiff_t>(end))));
  }
  return out;
}

aggregation streamed(std::vector<batch> parts, const filter& f, const aggregate_options& o) {
  auto s = aggregate_stream::make(f, o);
  REQUIRE(s.has_value());
  if (s->needs_two_passes())
    for (const auto& p : parts) s->learn(p);
  for (auto& p : parts) s->add(p);
  auto got = s->finish();
  REQUIRE(got.has_value());
  return *got;
}
}  // namespace

TEST_CASE("aggregate_stream: pieces give the in-memory aggregation, whatever the cut",
          "[aggregate_stream]") {
  auto events = testing::random_events({.messages = 1500, .seed = 11, .recipients = 700});
  // Every event twice, the copy far away: pairs, links and domains span pieces.
  const std::size_t n = events.size();
  for (std::size_t i = 0; i < n; ++i) events.push_back(events[(i * 7919) % n]);
  const batch whole = *make_batch(events);
  testing::rng r{77};
  for (int round = 0; round < 60; ++round) {
    filter f;
    if (r.chance(40))
      f.from = 1767225600000 + static_cast<std::int64_t>(r.below(50 * 86'400)) * 1000;
    if (r.chance(40))
      f.to = 1767225600000 + static_cast<std::int64_t>(40 + r.below(60)) * 86'400'000;
    if (f.from && f.to && *f.from > *f.to) std::swap(f.from, f.to);
    if (r.chance(30)) f.types = {event_type::open, event_type::click, event_type::bounce};
    if (r.chance(25)) f.statuses = {delivery_status::clicked, delivery_status::bounced};
    if (r.chance(15)) f.recipients = {r.chance(50) ? "@gmail.com" : "*user1*"};
    if (r.chance(15)) f.tags = {{"campaign", "spring"}};
    f.machine = static_cast<machine_filter>(r.below(3));
    aggregate_options o;
    o.bucket = static_cast<bucket_kind>(r.below(4));
    if (o.bucket == bucket_kind::hour && !(f.from && f.to)) o.bucket = bucket_kind::day;
    const int offsets[] = {0, 60, -300, 330, 840, -720, 345};
    o.offset_minutes = offsets[r.below(7)];
    o.top = 1 + static_cast<std::size_t>(r.below(5));
    const std::size_t size = r.chance(30) ? 1 + r.below(5) : 1 + r.below(2000);
    INFO("round " << round << " piece " << size << " bucket " << to_string(o.bucket));
    const auto want = aggregate(whole, f, o);
    REQUIRE(want.has_value());
    const auto got = streamed(pieces(events, size), f, o);
    CHECK(got.series == want->series);
    CHECK(got.totals == want->totals);
    CHECK(got.statuses == want->statuses);
    CHECK(got.top_links == want->top_links);
    CHECK(got == *want);
    CHECK(to_json(got) == to_json(*want));
  }
}

TEST_CASE("aggregate_stream: state grows with distinct keys, not with events",
          "[aggregate_stream]") {
  const auto events = testing::random_events({.messages = 200, .seed = 3, .recipients = 50});
  const batch b = *make_batch(events);
  auto s = aggregate_stream::make({}, {});
  REQUIRE(s.has_value());
  batch copy = b;
  s->add(copy);
  const std::size_t keys = s->keys();
  for (int i = 0; i < 20; ++i) {
    copy = b;
    s->add(copy);
  }
  CHECK(s->keys() == keys);
  auto got = s->finish();
  REQUIRE(got.has_value());
  CHECK(got->events == 21 * events.size());
}

TEST_CASE("aggregate_stream: the offset and bucket limits of aggregate()", "[aggregate_stream]") {
  aggregate_options o;
  o.offset_minutes = 900;
  CHECK(aggregate_stream::make({}, o).error().code == errc::bad_filter);
  filter f;
  f.from = 0;
  f.to = std::int64_t{400} * 86'400'000 * 365;
  aggregate_options hourly;
  hourly.bucket = bucket_kind::hour;
  auto s = aggregate_stream::make(f, hourly);
  REQUIRE(s.has_value());
  CHECK(s->finish().error().code == errc::bad_filter);
}

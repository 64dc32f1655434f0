#include <sesami/rollup.hpp>  // first: proves the header self-contained

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>

#include <sesami/aggregate_json.hpp>
#include <sesami/detail/iso8601.hpp>
#include <sesami/identity.hpp>

#include "random_events.hpp"

using namespace sesami;
using detail::parse_iso8601;

namespace {
std::int64_t at(std::string_view iso) { return *parse_iso8601(iso); }

event make(std::string msg, event_type t, std::string rcpt, std::int64_t ts) {
  event e;
  e.message_id = std::move(msg);
  e.type = t;
  e.recipient = std::move(rcpt);
  e.timestamp = ts;
  return e;
}
event open_at(std::string rcpt, std::int64_t ts, bool machine = false) {
  event e = make("m", event_type::open, std::move(rcpt), ts);
  open_info oi;
  oi.machine = machine;
  e.details = oi;
  return e;
}
event click_at(std::string rcpt, std::string link, std::int64_t ts, bool machine = false) {
  event e = make("m", event_type::click, std::move(rcpt), ts);
  click_info ci;
  ci.link = std::move(link);
  ci.machine = machine;
  e.details = ci;
  return e;
}
event bounce_at(std::string rcpt, bounce_class c, std::int64_t ts) {
  event e = make("m", event_type::bounce, std::move(rcpt), ts);
  bounce_info bi;
  bi.cls = c;
  e.details = bi;
  return e;
}

aggregation from_rollups(const rollup_tables& s, const aggregate_options& o = {}) {
  const auto rows = s.read();
  auto a = aggregate_rollups(rows.input(), o);
  REQUIRE(a.has_value());
  return *a;
}
aggregation from_events(const std::vector<event>& events, const aggregate_options& o = {}) {
  const batch b = *make_batch(events);
  auto a = aggregate(b, select_all(b), o);
  REQUIRE(a.has_value());
  return *a;
}
}  // namespace

TEST_CASE("roll_up: status by precedence, in the hour of the first status event", "[rollup]") {
  pair_state p;
  rollup_deltas d;
  const std::int64_t h = at("2026-03-01T10:00:00Z");
  roll_up(make("m", event_type::delivery, "a@x.com", h + 7'200'000), p, nullptr, d);
  REQUIRE(p.status == delivery_status::delivered);
  CHECK(d.statuses ==
        std::vector<rollup_deltas::status_delta>{{h + 7'200'000, delivery_status::delivered, 1}});
  d.clear();
  // A late, earlier send: the status stays, its row moves to the send's hour.
  roll_up(make("m", event_type::send, "a@x.com", h + 60'000), p, nullptr, d);
  CHECK(p.status == delivery_status::delivered);
  CHECK(p.first_seen == h + 60'000);
  CHECK(p.last_seen == h + 7'200'000);
  CHECK(d.statuses ==
        std::vector<rollup_deltas::status_delta>{{h + 7'200'000, delivery_status::delivered, -1},
                                                 {h, delivery_status::delivered, 1}});
  d.clear();
  // A complaint outranks delivered; a later delivery-delay changes nothing.
  roll_up(make("m", event_type::complaint, "a@x.com", h + 9'000'000), p, nullptr, d);
  CHECK(p.status == delivery_status::complained);
  CHECK(d.statuses.size() == 2);
  d.clear();
  roll_up(make("m", event_type::delivery_delay, "a@x.com", h + 9'100'000), p, nullptr, d);
  CHECK(p.status == delivery_status::complained);
  CHECK(d.statuses.empty());
  CHECK(d.types.size() == 1);
  CHECK(d.types[0].count == 1);
  // Status-less events count but leave the pair alone.
  pair_state q;
  d.clear();
  roll_up(make("m", event_type::subscription, "b@x.com", h), q, nullptr, d);
  CHECK_FALSE(q.status.has_value());
  CHECK(d.statuses.empty());
  CHECK(d.types.size() == 1);
}

TEST_CASE("roll_up: unique opens and clicks move to the earliest one", "[rollup]") {
  const std::int64_t h = at("2026-03-01T10:00:00Z");
  rollup_tables s;
  s.add(open_at("a@x.com", h + 3 * 3'600'000));
  s.add(open_at("a@x.com", h + 5 * 3'600'000, true));
  s.add(open_at("a@x.com", h + 3'600'000, true));  // earlier, machine: moves `unique` only
  const auto& later = s.types().at({h + 3 * 3'600'000, event_type::open});
  const auto& earlier = s.types().at({h + 3'600'000, event_type::open});
  CHECK(later.unique == 0);
  CHECK(later.unique_human == 1);
  CHECK(earlier.unique == 1);
  CHECK(earlier.unique_human == 0);
  CHECK(earlier.machine == 1);

  s.add(click_at("a@x.com", "https://l/1", h + 4 * 3'600'000));
  s.add(click_at("a@x.com", "https://l/1", h + 2 * 3'600'000, true));
  s.add(click_at("a@x.com", "https://l/2", h + 6 * 3'600'000));
  const auto a = from_rollups(s);
  REQUIRE(a.top_links.size() == 2);
  CHECK(a.top_links[0] == link_stat{"https://l/1", 2, 1, 1});
  CHECK(a.top_links[1] == link_stat{"https://l/2", 1, 1, 1});
  CHECK(s.links().at({h + 4 * 3'600'000, "https://l/1"}).unique == 0);
  CHECK(s.links().at({h + 2 * 3'600'000, "https://l/1"}).unique == 1);
  CHECK(a.clicks.unique == 1);
  CHECK(a.clicks.unique_human == 1);
}

TEST_CASE("roll_up: bounce classes, domains and the simulator's share", "[rollup]") {
  const std::int64_t h = at("2026-03-01T10:00:00Z");
  rollup_tables s;
  s.add(make("m", event_type::send, "a@x.com", h));
  s.add(make("m", event_type::send, "bounce@simulator.amazonses.com", h));
  s.add(bounce_at("a@x.com", bounce_class::hard, h + 1));
  s.add(bounce_at("bounce@simulator.amazonses.com", bounce_class::hard, h + 2));
  s.add(bounce_at("c@y.com", bounce_class::soft, h + 3));
  s.add(bounce_at("", bounce_class::undetermined, h + 4));  // no recipient: no domain
  const auto& b = s.types().at({h, event_type::bounce});
  CHECK(b.count == 4);
  CHECK(b.hard == 2);
  CHECK(b.soft == 1);
  CHECK(b.undetermined == 1);
  CHECK(b.sim_count == 1);
  CHECK(b.sim_hard == 1);
  const auto a = from_rollups(s);
  CHECK(a.sent == 1);
  CHECK(a.hard_bounced == 1);
  CHECK(a.simulator_events == 2);
  CHECK(a.top_bouncing_domains == std::vector<domain_stat>{{"simulator.amazonses.com", 1, 1},
                                                           {"x.com", 1, 1},
                                                           {"y.com", 1, 0}});
  CHECK(is_simulator("x@simulator.amazonses.com"));
  CHECK_FALSE(is_simulator("simulator.amazonses.com@x.com"));
}

TEST_CASE("aggregate_rollups checks its options", "[rollup]") {
  rollup_tables s;
  s.add(make("m", event_type::send, "a@x.com", at("2026-03-01T10:00:00Z")));
  const auto rows = s.read();
  CHECK(aggregate_rollups(rows.input(), {.offset_minutes = 30}).error().code == errc::bad_filter);
  CHECK(aggregate_rollups(rows.input(), {.offset_minutes = 15 * 60}).error().code ==
        errc::bad_filter);
  CHECK(aggregate_rollups(rows.input(), {.bucket = bucket_kind::hour,
                                         .from = 0,
                                         .to = at("2026-03-01T10:00:00Z"),
                                         .max_buckets = 1000})
            .error()
            .code == errc::bad_filter);
  const auto empty = aggregate_rollups({});
  REQUIRE(empty.has_value());
  CHECK(*empty == from_events({}));
}

// The property: rolling up the events one by one, in any order and with duplicates, and then
// aggregating the summed rows gives what aggregating the events gives, byte for byte as JSON.
// The event sets keep SES's guarantee that a pair has at most one send, delivery, complaint and
// bounce (identities differ by timestamp otherwise, and both stores count these per event).
TEST_CASE("aggregate_rollups of the rollup deltas equals aggregate of the events", "[rollup]") {
  const auto seed = GENERATE(1u, 2u, 3u, 4u, 5u);
  const auto generated = testing::random_events(
      {.messages = 400, .seed = seed, .span_ms = 40LL * 86'400'000, .recipients = 300});
  // E: distinct identities (the generator's unknown documents share one), as a store keeps them.
  std::vector<event> events;
  std::set<std::string> ids;
  std::set<std::tuple<std::string, std::string, event_type>> singular;
  for (const auto& e : generated) {
    const bool once = e.type == event_type::send || e.type == event_type::delivery ||
                      e.type == event_type::complaint || e.type == event_type::bounce;
    if (once && !singular.emplace(e.message_id, e.recipient.value_or(""), e.type).second) continue;
    if (ids.insert(event_id(e)).second) events.push_back(e);
  }
  // Arrivals: every event, one in four twice or three times, in a random order.
  testing::rng r{seed * 7919};
  std::vector<event> arrivals = events;
  for (const auto& e : events)
    if (r.chance(25))
      for (std::uint64_t k = 0, n = 1 + r.below(2); k < n; ++k) arrivals.push_back(e);
  for (std::size_t i = arrivals.size(); i > 1; --i)
    std::swap(arrivals[i - 1], arrivals[static_cast<std::size_t>(r.below(i))]);

  rollup_tables s;
  for (const auto& e : arrivals) s.add(e);
  REQUIRE(s.size() == ids.size());

  for (const auto bucket :
       {bucket_kind::hour, bucket_kind::day, bucket_kind::week, bucket_kind::month})
    for (const int offset : {0, 60, -5 * 60, 14 * 60, -12 * 60}) {
      aggregate_options o{.bucket = bucket, .offset_minutes = offset};
      o.top = 3;
      const auto expected = from_events(events, o);
      const auto got = from_rollups(s, o);
      CAPTURE(seed, to_string(bucket), offset);
      CHECK(got.events == expected.events);
      CHECK(got.totals == expected.totals);
      CHECK(got.statuses == expected.statuses);
      CHECK(got.bounce_classes == expected.bounce_classes);
      CHECK(got.opens == expected.opens);
      CHECK(got.clicks == expected.clicks);
      CHECK(std::tie(got.sent, got.delivered, got.hard_bounced, got.complained, got.human_opened,
                     got.human_clicked, got.simulator_events) ==
            std::tie(expected.sent, expected.delivered, expected.hard_bounced, expected.complained,
                     expected.human_opened, expected.human_clicked, expected.simulator_events));
      CHECK(got.top_links == expected.top_links);
      CHECK(got.top_bouncing_domains == expected.top_bouncing_domains);
      CHECK(got.bucket_starts == expected.bucket_starts);
      CHECK(got.series == expected.series);
      CHECK(got == expected);
      CHECK(to_json(got) == to_json(expected));
      // A range on whole hours, wider than the data: empty buckets on both sides.
      o.from = at("2025-12-01T00:00:00Z");
      o.to = at("2026-04-01T00:00:00Z");
      if (bucket == bucket_kind::hour) o.max_buckets = 10'000;
      CHECK(to_json(from_rollups(s, o)) == to_json(from_events(events, o)));
    }
  // Rolling up the arrivals in another order ends in the same rows.
  rollup_tables again;
  for (auto it = arrivals.rbegin(); it != arrivals.rend(); ++it) again.add(*it);
  CHECK(again.types() == s.types());
  CHECK(again.pairs() == s.pairs());
}

#include <sesami/aggregate.hpp>  // first: proves the header self-contained

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <sesami/aggregate_json.hpp>
#include <sesami/detail/iso8601.hpp>

#include "random_events.hpp"
#include "reference_aggregate.hpp"

using namespace sesami;
using detail::format_iso8601;
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
event bounce(std::string msg, std::string rcpt, bounce_class c, std::int64_t ts = 0) {
  event e = make(std::move(msg), event_type::bounce, std::move(rcpt), ts);
  bounce_info bi;
  bi.cls = c;
  e.details = bi;
  return e;
}

aggregation run(const std::vector<event>& events, aggregate_options o = {}) {
  const batch b = *make_batch(events);
  auto a = aggregate(b, select_all(b), o);
  REQUIRE(a.has_value());
  return *a;
}

std::vector<std::string> labels(const aggregation& a) {
  std::vector<std::string> out;
  for (auto s : a.bucket_starts) out.push_back(format_iso8601(s));
  return out;
}
}  // namespace

TEST_CASE("aggregate agrees with the row-wise reference on random data", "[aggregate]") {
  const auto events = testing::random_events({.messages = 3000, .seed = 5, .recipients = 1500});
  const batch b = *make_batch(events);
  testing::rng r{2024};
  for (int round = 0; round < 200; ++round) {
    filter f;
    if (r.chance(40))
      f.from = 1767225600000 + static_cast<std::int64_t>(r.below(50 * 86'400)) * 1000;
    if (r.chance(40))
      f.to = 1767225600000 + static_cast<std::int64_t>(40 + r.below(60)) * 86'400'000;
    if (f.from && f.to && *f.from > *f.to) std::swap(f.from, f.to);
    if (r.chance(30)) f.types = {event_type::open, event_type::click, event_type::send};
    if (r.chance(15)) f.statuses = {delivery_status::clicked, delivery_status::bounced};
    if (r.chance(15)) f.recipients = {r.chance(50) ? "@gmail.com" : "*user1*"};
    if (r.chance(15)) f.tags = {{"campaign", "spring"}};
    f.machine = static_cast<machine_filter>(r.below(3));
    aggregate_options o;
    o.bucket = static_cast<bucket_kind>(r.below(4));
    if (o.bucket == bucket_kind::hour && !(f.from && f.to)) o.bucket = bucket_kind::day;
    const int offsets[] = {0, 60, -300, 330, 840, -720, 345};
    o.offset_minutes = offsets[r.below(7)];
    if (r.chance(50)) {  // the series span the filter's range, or a narrower one than the data's
      o.from = f.from;
      o.to = f.to;
    }
    o.top = 1 + static_cast<std::size_t>(r.below(5));
    INFO("round " << round << " bucket " << to_string(o.bucket) << " offset " << o.offset_minutes);
    const auto got = aggregate(b, select(b, f), o);
    REQUIRE(got.has_value());
    const auto want = testing::reference_aggregate(events, testing::reference_select(events, f), o);
    CHECK(got->bucket_starts == want.bucket_starts);
    CHECK(got->series == want.series);
    CHECK(got->totals == want.totals);
    CHECK(got->opens == want.opens);
    CHECK(got->clicks == want.clicks);
    CHECK(got->statuses == want.statuses);
    CHECK(got->top_links == want.top_links);
    CHECK(got->top_bouncing_domains == want.top_bouncing_domains);
    CHECK(*got == want);
    CHECK(to_json(*got) == to_json(want));
  }
}

TEST_CASE("bucket boundaries", "[aggregate]") {
  SECTION("hour") {
    const auto a = run({make("m", event_type::send, "a@x", at("2026-03-01T10:59:59.999Z")),
                        make("m", event_type::delivery, "a@x", at("2026-03-01T11:00:00Z"))},
                       {.bucket = bucket_kind::hour});
    CHECK(labels(a) ==
          std::vector<std::string>{"2026-03-01T10:00:00.000Z", "2026-03-01T11:00:00.000Z"});
    CHECK(a.series[0] == std::vector<std::uint32_t>{1, 0});
    CHECK(a.series[1] == std::vector<std::uint32_t>{0, 1});
  }
  SECTION("day in UTC, before and after the epoch") {
    const auto a =
        run({make("m", event_type::send, "a@x", -1), make("m", event_type::send, "b@x", 0)});
    CHECK(labels(a) ==
          std::vector<std::string>{"1969-12-31T00:00:00.000Z", "1970-01-01T00:00:00.000Z"});
  }
  SECTION("day with a positive offset: local midnight is the previous UTC evening") {
    const auto a = run({make("m", event_type::send, "a@x", at("2026-03-01T22:59:59.999Z")),
                        make("m", event_type::send, "b@x", at("2026-03-01T23:00:00Z"))},
                       {.offset_minutes = 60});
    CHECK(labels(a) ==
          std::vector<std::string>{"2026-02-28T23:00:00.000Z", "2026-03-01T23:00:00.000Z"});
    CHECK(a.series[0] == std::vector<std::uint32_t>{1, 1});
    CHECK(to_json(a).find(
              "\"labels\":[\"2026-03-01T00:00:00.000+01:00\",\"2026-03-02T00:00:00.000+01:00\"]") !=
          std::string::npos);
  }
  SECTION("day with a negative, non-whole-hour offset") {
    const auto a = run({make("m", event_type::send, "a@x", at("2026-01-01T03:29:00Z"))},
                       {.offset_minutes = -210});  // UTC-03:30
    CHECK(labels(a) == std::vector<std::string>{"2025-12-31T03:30:00.000Z"});
    CHECK(to_json(a).find("\"2025-12-31T00:00:00.000-03:30\"") != std::string::npos);
  }
  SECTION("ISO weeks start on Monday, across a year boundary") {
    // 2026-01-01 is a Thursday: its week starts on Monday 2025-12-29.
    const auto a = run({make("m", event_type::send, "a@x", at("2025-12-29T00:00:00Z")),
                        make("m", event_type::send, "b@x", at("2026-01-04T23:59:59.999Z")),
                        make("m", event_type::send, "c@x", at("2026-01-05T00:00:00Z"))},
                       {.bucket = bucket_kind::week});
    CHECK(labels(a) ==
          std::vector<std::string>{"2025-12-29T00:00:00.000Z", "2026-01-05T00:00:00.000Z"});
    CHECK(a.series[0] == std::vector<std::uint32_t>{2, 1});
  }
  SECTION("week with an offset: Sunday evening in New York is still the old week") {
    const auto a = run({make("m", event_type::send, "a@x", at("2026-01-05T04:59:00Z"))},
                       {.bucket = bucket_kind::week, .offset_minutes = -300});
    CHECK(labels(a) == std::vector<std::string>{"2025-12-29T05:00:00.000Z"});
  }
  SECTION("months: leap February, a year boundary, an offset") {
    const auto a = run({make("m", event_type::send, "a@x", at("2023-12-31T23:59:59.999Z")),
                        make("m", event_type::send, "b@x", at("2024-02-29T23:59:59.999Z")),
                        make("m", event_type::send, "c@x", at("2024-03-01T00:00:00Z"))},
                       {.bucket = bucket_kind::month});
    CHECK(labels(a) ==
          std::vector<std::string>{"2023-12-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z",
                                   "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"});
    CHECK(a.series[0] == std::vector<std::uint32_t>{1, 0, 1, 1});
    const auto b = run({make("m", event_type::send, "b@x", at("2024-02-29T22:30:00Z"))},
                       {.bucket = bucket_kind::month, .offset_minutes = 120});
    CHECK(labels(b) == std::vector<std::string>{"2024-02-29T22:00:00.000Z"});  // local March 1st
  }
  SECTION("the requested span shows empty buckets and drops events outside it") {
    const auto a = run({make("m", event_type::send, "a@x", at("2026-01-03T12:00:00Z")),
                        make("m", event_type::send, "b@x", at("2026-01-09T12:00:00Z"))},
                       {.from = at("2026-01-01"), .to = at("2026-01-08")});
    CHECK(a.bucket_starts.size() == 7);
    CHECK(a.series[0] == std::vector<std::uint32_t>{0, 0, 1, 0, 0, 0, 0});
    CHECK(a.totals[0] == 2);  // totals count the whole selection
  }
  SECTION("no events, no span: no buckets") {
    const auto a = run({});
    CHECK(a.bucket_starts.empty());
    CHECK(a.events == 0);
    CHECK_FALSE(a.bounce_rate().value());
  }
}

TEST_CASE("aggregate options are checked", "[aggregate]") {
  const batch b = *make_batch(std::vector<event>{make("m", event_type::send, "a@x", 0)});
  auto too_far = aggregate(b, select_all(b), {.offset_minutes = 841});
  REQUIRE(too_far.has_error());
  CHECK(too_far.error().code == errc::bad_filter);
  auto too_many =
      aggregate(b, select_all(b),
                {.bucket = bucket_kind::hour, .from = at("2000-01-01"), .to = at("2026-01-01")});
  REQUIRE(too_many.has_error());
  CHECK(too_many.error().code == errc::bad_filter);
  CHECK(aggregate(b, select_all(b),
                  {.bucket = bucket_kind::month, .from = at("2000-01-01"), .to = at("2026-01-01")})
            .has_value());
  CHECK(parse_bucket("week") == bucket_kind::week);
  CHECK_FALSE(parse_bucket("year"));
}

TEST_CASE("rates and SES thresholds", "[aggregate]") {
  auto mailing = [](int sends, int hard, int soft, int complaints, int simulator) {
    std::vector<event> v;
    for (int i = 0; i < sends; ++i) {
      const std::string r = "r" + std::to_string(i) + "@example.com";
      v.push_back(make("m", event_type::send, r, 0));
      if (i < hard)
        v.push_back(bounce("m", r, bounce_class::hard));
      else if (i < hard + soft)
        v.push_back(bounce("m", r, bounce_class::soft));
      else
        v.push_back(make("m", event_type::delivery, r, 1));
      if (i < complaints) v.push_back(make("m", event_type::complaint, r, 2));
    }
    for (int i = 0; i < simulator; ++i) {  // test traffic: all bounces, never counted
      const std::string r = "bounce+" + std::to_string(i) + "@simulator.amazonses.com";
      v.push_back(make("s", event_type::send, r, 0));
      v.push_back(bounce("s", r, bounce_class::hard));
    }
    return run(v);
  };
  auto level = [](const rate& r, bool bounce_rate) {
    return bounce_rate ? r.level(bounce_warning_ppm, bounce_review_ppm)
                       : r.level(complaint_warning_ppm, complaint_review_ppm);
  };
  SECTION("bounce rate counts hard bounces over sends, exactly at the thresholds") {
    CHECK(level(mailing(100, 4, 20, 0, 0).bounce_rate(), true) == rate_level::ok);
    CHECK(level(mailing(100, 5, 0, 0, 0).bounce_rate(), true) == rate_level::warning);
    CHECK(level(mailing(1000, 99, 0, 0, 0).bounce_rate(), true) == rate_level::warning);
    CHECK(level(mailing(100, 10, 0, 0, 0).bounce_rate(), true) == rate_level::review);
    const auto a = mailing(200, 10, 0, 0, 0);
    CHECK(a.bounce_rate() == rate{10, 200});
    CHECK(a.bounce_rate().ppm() == 50'000u);
    CHECK(a.delivery_rate() == rate{190, 200});
  }
  SECTION("complaint rate") {
    CHECK(level(mailing(1000, 0, 0, 0, 0).complaint_rate(), false) == rate_level::ok);
    CHECK(level(mailing(1001, 0, 0, 1, 0).complaint_rate(), false) == rate_level::ok);
    CHECK(level(mailing(1000, 0, 0, 1, 0).complaint_rate(), false) == rate_level::warning);
    CHECK(level(mailing(1000, 0, 0, 5, 0).complaint_rate(), false) == rate_level::review);
  }
  SECTION("the mailbox simulator is left out of rates but not out of counts") {
    const auto a = mailing(100, 0, 0, 0, 50);
    CHECK(a.bounce_rate() == rate{0, 100});
    CHECK(a.simulator_events == 100);
    CHECK(a.totals[static_cast<std::size_t>(event_type::bounce)] == 50);
    CHECK(a.top_bouncing_domains.front().domain == "simulator.amazonses.com");
    const std::string json = to_json(a);
    CHECK(json.find("\"bounce\":{\"value\":0,\"numerator\":0,\"denominator\":100,\"warning\":0.05,"
                    "\"review\":0.1,\"level\":\"ok\"}") != std::string::npos);
  }
}

TEST_CASE("engagement, statuses and top lists", "[aggregate]") {
  std::vector<event> v;
  auto open = [&](std::string msg, std::string r, bool machine) {
    event e = make(std::move(msg), event_type::open, std::move(r), 10);
    e.details = open_info{"", "", machine, machine ? "apple-mpp" : ""};
    v.push_back(e);
  };
  auto click = [&](std::string msg, std::string r, std::string link, bool machine) {
    event e = make(std::move(msg), event_type::click, std::move(r), 20);
    e.details = click_info{std::move(link), "", "", {}, machine, ""};
    v.push_back(e);
  };
  for (auto r : {"a@x.com", "b@x.com", "c@y.com"}) {
    v.push_back(make("m1", event_type::send, r, 0));
    v.push_back(make("m1", event_type::delivery, r, 1));
  }
  open("m1", "a@x.com", true);
  open("m1", "a@x.com", false);
  open("m1", "a@x.com", false);
  open("m1", "b@x.com", true);
  click("m1", "a@x.com", "https://l/b", false);
  click("m1", "a@x.com", "https://l/b", false);
  click("m1", "b@x.com", "https://l/b", true);
  click("m1", "b@x.com", "https://l/a", false);
  click("m1", "c@y.com", "https://l/a", false);
  const auto a = run(v);
  CHECK(a.opens == engagement{4, 2, 2, 2, 1});
  CHECK(a.clicks == engagement{5, 4, 1, 3, 3});
  CHECK(a.open_rate() == rate{1, 3});
  CHECK(a.click_rate() == rate{3, 3});
  CHECK(a.statuses[static_cast<std::size_t>(delivery_status::clicked)] == 3);
  REQUIRE(a.top_links.size() == 2);
  CHECK(a.top_links[0] == link_stat{"https://l/b", 3, 2, 2});
  CHECK(a.top_links[1] == link_stat{"https://l/a", 2, 2, 2});
  CHECK(a.machine_open_series == std::vector<std::uint32_t>{2});
  CHECK(a.machine_click_series == std::vector<std::uint32_t>{1});
}

TEST_CASE("aggregation JSON", "[aggregate]") {
  // The bounce has no send in the selection (sent before the window): it still counts, as in
  // SES's own windowed rate.
  std::vector<event> v = {
      make("m1", event_type::send, "a@x.com", at("2026-01-01T10:00:00Z")),
      make("m1", event_type::delivery, "a@x.com", at("2026-01-02T10:00:00Z")),
      bounce("m2", "b\"q@y.com", bounce_class::hard, at("2026-01-02T11:00:00Z"))};
  const std::string json = to_json(run(v));
  CHECK(
      json ==
      R"({"bucket":"day","offsetMinutes":0,"events":3,"series":{"labels":["2026-01-01T00:00:00.000Z","2026-01-02T00:00:00.000Z"],)"
      R"("types":{"send":[1,0],"delivery":[0,1],"bounce":[0,1],"complaint":[0,0],"open":[0,0],"click":[0,0],)"
      R"("reject":[0,0],"delivery_delay":[0,0],"rendering_failure":[0,0],"subscription":[0,0],"unknown":[0,0]},)"
      R"("machineOpens":[0,0],"machineClicks":[0,0]},)"
      R"("totals":{"send":1,"delivery":1,"bounce":1,"complaint":0,"open":0,"click":0,"reject":0,"delivery_delay":0,"rendering_failure":0,"subscription":0,"unknown":0},)"
      R"("opens":{"total":0,"human":0,"machine":0,"unique":0,"uniqueHuman":0},)"
      R"("clicks":{"total":0,"human":0,"machine":0,"unique":0,"uniqueHuman":0},)"
      R"("statuses":{"sent":0,"delayed":0,"delivered":1,"opened":0,"clicked":0,"bounced":1,"complained":0,"rejected":0,"failed":0},)"
      R"("bounceClasses":{"hard":1,"soft":0,"suppressed":0,"undetermined":0},)"
      R"("rates":{"sent":1,"delivered":1,"simulatorEventsExcluded":0,)"
      R"("delivery":{"value":1,"numerator":1,"denominator":1},)"
      R"("bounce":{"value":1,"numerator":1,"denominator":1,"warning":0.05,"review":0.1,"level":"review"},)"
      R"("complaint":{"value":0,"numerator":0,"denominator":1,"warning":0.001,"review":0.005,"level":"ok"},)"
      R"("open":{"value":0,"numerator":0,"denominator":1},"click":{"value":0,"numerator":0,"denominator":1}},)"
      R"("topLinks":[],"topBouncingDomains":[{"domain":"y.com","bounces":1,"hardBounces":1}]})");
  // Valid JSON.
  boost::system::error_code ec;
  (void)boost::json::parse(json, ec);
  CHECK_FALSE(ec);
  SECTION("rates are plain decimals, null without a denominator") {
    const std::vector<event> none = {bounce("m", "a@x.com", bounce_class::hard)};
    const std::string j = to_json(run(none));
    CHECK(j.find(R"("bounce":{"value":null,"numerator":1,"denominator":0)") != std::string::npos);
    std::vector<event> third;
    for (auto r : {"a@x", "b@x", "c@x"}) third.push_back(make("m", event_type::send, r, 0));
    third.push_back(make("m", event_type::delivery, "a@x", 0));
    CHECK(to_json(run(third)).find(R"("delivery":{"value":0.333333,)") != std::string::npos);
  }
}

// GET /stats from rollups (app/stats.cpp) against the in-memory aggregation (aggregate.hpp) and a
// raw recount over the same stored events, for random hour ranges: top links, top bouncing
// domains, rates without the mailbox simulator, range-limited statuses; duplicates and arrival
// order must not change any of it.
#include "app/stats.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include <sesami/aggregate.hpp>
#include <sesami/batch.hpp>
#include <sesami/demo.hpp>
#include <sesami/parse.hpp>

#include "helpers.hpp"
#include "store/sqlite/migrations.hpp"

using namespace store_test;
using sesami::event_type;

namespace {
std::vector<sesami::event> demo_events(std::size_t n, std::uint64_t seed) {
  return store_test::demo_events(n, seed, 6);
}

// Mailbox simulator traffic spread over the demo's days: sends, deliveries, hard bounces,
// complaints, human opens and clicks that must stay out of every rate.
std::vector<sesami::event> simulator_events(std::int64_t from, std::int64_t to, std::mt19937& rng) {
  std::vector<sesami::event> out;
  std::uniform_int_distribution<std::int64_t> when(from, to - 10 * 60'000);
  const std::string targets[] = {"success@simulator.amazonses.com",
                                 "bounce@simulator.amazonses.com",
                                 "complaint@simulator.amazonses.com"};
  for (int m = 0; m < 60; ++m) {
    const std::string msg = "sim-" + std::to_string(m);
    const std::string& rcpt = targets[static_cast<std::size_t>(m) % 3];
    const std::int64_t t = when(rng);
    out.push_back(make_event(msg, event_type::send, rcpt, t));
    if (m % 3 == 1) {
      out.push_back(make_event(msg, event_type::bounce, rcpt, t + 2000));
      continue;
    }
    out.push_back(make_event(msg, event_type::delivery, rcpt, t + 1000));
    if (m % 3 == 2) out.push_back(make_event(msg, event_type::complaint, rcpt, t + 5000));
    out.push_back(make_event(msg, event_type::open, rcpt, t + 60'000 * (m % 7)));
    auto click = make_event(msg, event_type::click, rcpt, t + 90'000 * (m % 5 + 1), m % 4 == 0);
    std::get<sesami::click_info>(click.details).link =
        "https://sim.example/" + std::to_string(m % 2);
    out.push_back(std::move(click));
  }
  return out;
}

bool simulated(const std::string& rcpt) {
  return sesami::detail::domain_of(rcpt) == sesami::simulator_domain;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// What the rollups promise, recounted from the distinct events: a pair's unique open / click
// (and a (pair, link)'s unique click) counts in the range holding its first one; a pair's status
// counts in the range holding its first event with a status.
struct recount {
  std::map<std::tuple<std::string, std::string>, std::int64_t> first_human_open, first_human_click,
      first_status_event;
  std::map<std::tuple<std::string, std::string>, int> status;
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> first_link_click;

  explicit recount(const std::vector<sesami::event>& events) {
    auto keep_min = [](auto& m, const auto& k, std::int64_t t) {
      auto [it, fresh] = m.try_emplace(k, t);
      if (!fresh) it->second = std::min(it->second, t);
    };
    for (const auto& e : events) {
      const std::string rcpt = e.recipient ? lower(*e.recipient) : std::string();
      const auto pair = std::make_tuple(e.message_id, rcpt);
      const auto* c = e.get<sesami::click_info>();
      // Unique clicks per link count (message, link) too when the event names no recipient.
      if (c && !c->link.empty())
        keep_min(first_link_click, std::make_tuple(e.message_id, rcpt, c->link), e.timestamp);
      // A recipient-less event's state is the pair (message, ''), as in the core's aggregation.
      if (e.type == event_type::open && !e.machine()) keep_min(first_human_open, pair, e.timestamp);
      if (c && !e.machine()) keep_min(first_human_click, pair, e.timestamp);
      if (auto st = sesami::status_of(e.type)) {
        keep_min(first_status_event, pair, e.timestamp);
        auto [it, fresh] = status.try_emplace(pair, static_cast<int>(*st));
        if (!fresh) it->second = std::max(it->second, static_cast<int>(*st));
      }
    }
  }
  static std::uint64_t in(const auto& firsts, std::int64_t from, std::int64_t to, bool sim_too) {
    std::uint64_t n = 0;
    for (const auto& [k, t] : firsts)
      n += t >= from && t < to && (sim_too || !simulated(std::get<1>(k)));
    return n;
  }
  std::uint64_t link_unique(const std::string& link, std::int64_t from, std::int64_t to) const {
    std::uint64_t n = 0;
    for (const auto& [k, t] : first_link_click) n += std::get<2>(k) == link && t >= from && t < to;
    return n;
  }
  std::array<std::uint64_t, sesami::delivery_status_count> statuses(std::int64_t from,
                                                                    std::int64_t to) const {
    std::array<std::uint64_t, sesami::delivery_status_count> out{};
    for (const auto& [k, t] : first_status_event)
      if (t >= from && t < to) ++out[static_cast<std::size_t>(status.at(k))];
    return out;
  }
};
}  // namespace

TEST_CASE("stats from rollups equal the in-memory aggregation and a raw recount",
          "[store][stats][rollups]") {
  temp_dir dir;
  const auto path = dir.file("stats.db");
  auto s = open(path);
  std::mt19937 rng(11);
  auto events = demo_events(6000, 5);
  REQUIRE_FALSE(events.empty());
  std::int64_t lo = events.front().timestamp, hi = lo;
  for (const auto& e : events) {
    lo = std::min(lo, e.timestamp);
    hi = std::max(hi, e.timestamp);
  }
  const auto sim = simulator_events(lo, hi, rng);
  events.insert(events.end(), sim.begin(), sim.end());

  // Arrival order and duplicates must not matter: shuffled chunks, then everything once more.
  std::shuffle(events.begin(), events.end(), rng);
  for (std::size_t i = 0; i < events.size(); i += 700)
    ingest(*s, std::vector<sesami::event>(
                   events.begin() + static_cast<std::ptrdiff_t>(i),
                   events.begin() + static_cast<std::ptrdiff_t>(std::min(i + 700, events.size()))));
  const auto again = ingest(*s, events);
  REQUIRE(again.stored == 0);

  // The reference works on the distinct events (the demo repeats some deliveries, as SES does).
  std::vector<sesami::event> distinct;
  {
    std::set<std::string> seen;
    const auto items = sesami::app::prepare(events);
    for (std::size_t i = 0; i < events.size(); ++i)
      if (seen.insert(items[i].id).second) distinct.push_back(events[i]);
  }
  auto b = sesami::make_batch(distinct);
  REQUIRE(b);
  const recount raw(distinct);

  const std::int64_t first_hour = lo / hour, last_hour = hi / hour + 1;
  std::uniform_int_distribution<std::int64_t> pick(first_hour, last_hour);
  // Whole UTC days only, whole days with partial edge days, and a part of one day: the daily
  // level's boundaries (day buckets below read whole days from it where a backend has one).
  const std::int64_t first_day = first_hour / 24 + 1;
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges = {
      {first_hour, last_hour + 1},
      {first_day * 24, first_day * 24 + 72},
      {first_day * 24 - 5, first_day * 24 + 53},
      {first_day * 24 + 3, first_day * 24 + 20}};
  for (int i = 0; i < 25; ++i) {
    auto x = pick(rng), y = pick(rng);
    if (x > y) std::swap(x, y);
    ranges.emplace_back(x, y + 1);
  }
  for (const auto& [a, z] : ranges) {
    const std::int64_t from = a * hour, to = z * hour;
    INFO("hours [" << a << ", " << z << ")");
    sesami::app::stats_request req;
    req.from = from;
    req.to = to;
    req.bucket = sesami::bucket_kind::hour;
    auto got = sesami::app::stats(*s, "default", req);
    REQUIRE(got);
    sesami::filter f;
    f.from = from;
    f.to = to;
    sesami::aggregate_options o;
    o.bucket = sesami::bucket_kind::hour;
    auto want = sesami::aggregate(*b, f, o);
    REQUIRE(want);

    // Event counts and the rates' pair counts (one send / delivery / hard bounce / complaint per
    // pair) are the in-memory aggregation's exactly, the simulator left out the same way.
    CHECK(got->totals == want->totals);
    CHECK(got->series == want->series);
    CHECK(got->simulator_events == want->simulator_events);
    CHECK(got->sent == want->sent);
    CHECK(got->delivered == want->delivered);
    CHECK(got->hard_bounced == want->hard_bounced);
    CHECK(got->complained == want->complained);
    CHECK(got->bounce_classes == want->bounce_classes);
    CHECK(got->top_bouncing_domains == want->top_bouncing_domains);
    REQUIRE(got->top_links.size() == want->top_links.size());
    for (std::size_t i = 0; i < got->top_links.size(); ++i) {
      const auto& g = got->top_links[i];
      const auto& w = want->top_links[i];
      CHECK(g.link == w.link);
      CHECK(g.clicks == w.clicks);
      CHECK(g.human_clicks == w.human_clicks);
      // Unique clicks: the (pair, link)s whose first click is in the range.
      CHECK(g.unique_clicks == raw.link_unique(g.link, from, to));
    }
    // First-per-pair counts and statuses follow the rollups' attribution, recounted raw.
    CHECK(got->human_opened == raw.in(raw.first_human_open, from, to, false));
    CHECK(got->human_clicked == raw.in(raw.first_human_click, from, to, false));
    CHECK(got->opens.unique_human == raw.in(raw.first_human_open, from, to, true));
    CHECK(got->statuses == raw.statuses(from, to));

    // Day buckets at UTC: the per-day series of the in-memory aggregation, and every other
    // figure equal to the hour-bucketed answer.
    req.bucket = sesami::bucket_kind::day;
    auto by_day = sesami::app::stats(*s, "default", req);
    REQUIRE(by_day);
    o.bucket = sesami::bucket_kind::day;
    auto want_day = sesami::aggregate(*b, f, o);
    REQUIRE(want_day);
    CHECK(by_day->series == want_day->series);
    CHECK(by_day->machine_open_series == want_day->machine_open_series);
    CHECK(by_day->machine_click_series == want_day->machine_click_series);
    CHECK(by_day->totals == got->totals);
    CHECK(by_day->opens == got->opens);
    CHECK(by_day->clicks == got->clicks);
    CHECK(by_day->simulator_events == got->simulator_events);
    CHECK(by_day->sent == got->sent);
    CHECK(by_day->delivered == got->delivered);
    CHECK(by_day->hard_bounced == got->hard_bounced);
    CHECK(by_day->complained == got->complained);
    CHECK(by_day->human_opened == got->human_opened);
    CHECK(by_day->human_clicked == got->human_clicked);
    CHECK(by_day->bounce_classes == got->bounce_classes);
  }
  // The simulator's traffic is really there, and really left out.
  auto all = sesami::app::stats(*s, "default", {});
  REQUIRE(all);
  CHECK(all->simulator_events == sim.size());
  CHECK(all->sent + 60 == all->totals[static_cast<std::size_t>(event_type::send)]);
  CHECK(all->hard_bounced + 20 ==
        all->bounce_classes[static_cast<std::size_t>(sesami::bounce_class::hard)]);
  CHECK_FALSE(all->top_links.empty());
  CHECK_FALSE(all->top_bouncing_domains.empty());
}

TEST_CASE("the migration backfills the new rollups from stored events",
          "[store][stats][migrations]") {
  temp_dir dir;
  const auto path = dir.file("backfill.db");
  std::mt19937 rng(3);
  auto events = demo_events(3000, 9);
  const auto sim =
      simulator_events(events.front().timestamp, events.front().timestamp + 48 * hour, rng);
  events.insert(events.end(), sim.begin(), sim.end());
  std::shuffle(events.begin(), events.end(), rng);
  sesami::app::stats_request req;
  req.bucket = sesami::bucket_kind::hour;
  sesami::aggregation written;
  {
    auto s = open(path);
    ingest(*s, events);
    auto a = sesami::app::stats(*s, "default", req);
    REQUIRE(a);
    written = *a;
  }
  // Back to a version-5 database holding the same events and older rollups: a fresh file built
  // by migrations 1-5 gets the stored rows copied over, and opening it runs every later
  // migration (so the test does not depend on undoing what the migrations after 6 add).
  {
    const auto old_path = dir.file("v5.db");
    std::string sql;
    for (const auto& m : sesami::store::sqlite::migrations)
      if (m.version <= 5) sql += std::string(m.sql);
    sql += "PRAGMA user_version = 5; ATTACH DATABASE '" + path +
           "' AS cur; "
           "INSERT INTO workspaces SELECT * FROM cur.workspaces; "
           "INSERT INTO events SELECT * FROM cur.events; "
           // Named columns: migration 11 added recipient_status.events.
           "INSERT INTO recipient_status SELECT workspace, message_id, recipient, status, "
           "first_seen, last_seen, first_open, first_human_open, first_click, first_human_click "
           "FROM cur.recipient_status; "
           "INSERT INTO status_counts SELECT * FROM cur.status_counts; "
           "INSERT INTO event_tags SELECT * FROM cur.event_tags; "
           "INSERT INTO suppressions SELECT * FROM cur.suppressions; "
           "INSERT INTO rollups SELECT workspace, hour, type, count, machine, uniq, uniq_human, "
           "hard, soft, suppressed, undetermined FROM cur.rollups; DETACH DATABASE cur;";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(old_path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
    std::filesystem::rename(old_path, path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
  }
  auto s = open(path);
  CHECK(sql_int(path, "PRAGMA user_version") >= 6);
  auto a = sesami::app::stats(*s, "default", req);
  REQUIRE(a);
  CHECK(*a == written);
  CHECK(a->simulator_events == sim.size());
  CHECK_FALSE(a->top_links.empty());
}

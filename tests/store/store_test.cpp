// The store contract (store.hpp) against real SQLite files: exactly-once writes, order-independent
// statuses and unique counts, rollups equal to a raw recount, keyset pagination, filters,
// workspace isolation, group commit under concurrency, retention.
#include "store/store.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <sesami/demo.hpp>
#include <sesami/parse.hpp>
#include <sesami/to_json.hpp>

#include "helpers.hpp"

using namespace store_test;
using sesami::delivery_status;
using sesami::event_type;

namespace {
std::vector<sesami::event> demo_events(std::size_t n, std::uint64_t seed = 7) {
  return store_test::demo_events(n, seed, 20);
}

std::int64_t count_events(const std::string& path, const std::string& where = "true") {
  return sql_int(path, "SELECT count(*) FROM events WHERE " + where);
}

delivery_status status_of_pair(sesami::store::store& s, const std::string& msg,
                               const std::string& rcpt) {
  auto h = s.message("default", msg);
  REQUIRE(h);
  for (const auto& r : h->recipients)
    if (r.recipient == rcpt) return r.status;
  FAIL("no status for " << rcpt);
  return delivery_status::sent;
}
}  // namespace

TEST_CASE("writes are idempotent by event identity", "[store][idempotency]") {
  temp_dir dir;
  const auto path = dir.file("s.db");
  auto s = open(path);
  auto events = demo_events(3000);
  // The demo stream already holds duplicate deliveries: count the distinct identities.
  std::set<std::string> ids;
  for (const auto& it : sesami::app::prepare(events)) ids.insert(it.id);

  SECTION("the same batch three times, then shuffled, stores each event once") {
    auto first = ingest(*s, events);
    CHECK(first.stored == ids.size());
    CHECK(first.duplicates == events.size() - ids.size());
    auto again = ingest(*s, events);
    CHECK(again.stored == 0);
    CHECK(again.duplicates == events.size());
    std::mt19937 rng(1);
    std::shuffle(events.begin(), events.end(), rng);
    auto shuffled = ingest(*s, events);
    CHECK(shuffled.stored == 0);
    CHECK(count_events(path) == static_cast<std::int64_t>(ids.size()));
  }
  SECTION("rollups and statuses do not double count duplicates") {
    ingest(*s, events);
    auto before = s->rollups("default", 0, t0 + 1000LL * 24 * hour);
    REQUIRE(before);
    auto statuses_before = s->status_counts("default");
    ingest(*s, events);
    auto after = s->rollups("default", 0, t0 + 1000LL * 24 * hour);
    REQUIRE(after);
    REQUIRE(before->size() == after->size());
    for (std::size_t i = 0; i < before->size(); ++i) {
      CHECK((*before)[i].count == (*after)[i].count);
      CHECK((*before)[i].unique == (*after)[i].unique);
    }
    CHECK(*statuses_before == *s->status_counts("default"));
  }
}

TEST_CASE("statuses follow precedence whatever the arrival order", "[store][status]") {
  temp_dir dir;
  std::vector<sesami::event> story = {
      make_event("m1", event_type::send, "a@x.com", t0),
      make_event("m1", event_type::delivery, "a@x.com", t0 + 1000),
      make_event("m1", event_type::open, "a@x.com", t0 + 60'000),
      make_event("m1", event_type::click, "a@x.com", t0 + 90'000),
      make_event("m1", event_type::complaint, "a@x.com", t0 + 120'000),
  };
  std::vector<std::size_t> order(story.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  int n = 0;
  auto perm = open(dir.file("perm.db"));
  do {  // every permutation, as its own message, one event per transaction
    const std::string msg = "p" + std::to_string(n++);
    for (auto i : order) {
      auto e = story[i];
      e.message_id = msg;
      ingest(*perm, {e});
    }
    CHECK(status_of_pair(*perm, msg, "a@x.com") == delivery_status::complained);
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(n == 120);
  auto counts = perm->status_counts("default");
  REQUIRE(counts);
  REQUIRE(counts->size() == 1);  // every pair moved through lower statuses and ended complained
  CHECK((*counts)[0] == std::pair{delivery_status::complained, std::int64_t{120}});

  SECTION("each status alone, and the final ones") {
    auto s = open(dir.file("each.db"));
    ingest(*s, {make_event("m2", event_type::send, "b@x.com", t0),
                make_event("m2", event_type::delivery_delay, "b@x.com", t0 + 10)});
    CHECK(status_of_pair(*s, "m2", "b@x.com") == delivery_status::delayed);
    ingest(*s, {make_event("m2", event_type::bounce, "b@x.com", t0 + 20)});
    CHECK(status_of_pair(*s, "m2", "b@x.com") == delivery_status::bounced);
    ingest(*s, {make_event("m2", event_type::delivery, "b@x.com", t0 + 5)});  // late, lower
    CHECK(status_of_pair(*s, "m2", "b@x.com") == delivery_status::bounced);
  }
}

TEST_CASE("unique opens count in the hour of the first open, whatever the order",
          "[store][rollups]") {
  temp_dir dir;
  auto s = open(dir.file("u.db"));
  const std::int64_t h10 = t0 + 10 * hour, h9 = t0 + 9 * hour;
  auto uniq_at = [&](std::int64_t h, bool human) {
    auto rows = s->rollups("default", h, h + hour);
    REQUIRE(rows);
    std::int64_t n = 0;
    for (auto& r : *rows)
      if (r.type == event_type::open) n += human ? r.unique_human : r.unique;
    return n;
  };
  ingest(*s, {make_event("m", event_type::open, "a@x.com", h10 + 30 * 60'000)});
  CHECK(uniq_at(h10, false) == 1);
  CHECK(uniq_at(h9, false) == 0);
  // An earlier open arrives later: the unique open moves to the earlier hour.
  ingest(*s, {make_event("m", event_type::open, "a@x.com", h9 + 15 * 60'000)});
  CHECK(uniq_at(h10, false) == 0);
  CHECK(uniq_at(h9, false) == 1);
  // A later open changes nothing; totals count every open.
  ingest(*s, {make_event("m", event_type::open, "a@x.com", h10 + 50 * 60'000)});
  CHECK(uniq_at(h9, false) == 1);
  CHECK(uniq_at(h10, false) == 0);
  auto all = s->rollups("default", t0, t0 + 24 * hour);
  std::int64_t total = 0;
  for (auto& r : *all) total += r.type == event_type::open ? r.count : 0;
  CHECK(total == 3);

  SECTION("human unique opens ignore machine opens") {
    ingest(*s, {make_event("m3", event_type::open, "c@x.com", h9 + 1000, true)});  // Apple MPP
    CHECK(uniq_at(h9, true) == 1);  // only a@x.com's human open
    ingest(*s, {make_event("m3", event_type::open, "c@x.com", h10 + 1000, false)});
    CHECK(uniq_at(h10, true) == 1);
    CHECK(uniq_at(h9, false) == 2);
  }
}

TEST_CASE("rollups equal a raw recount for random ranges", "[store][rollups]") {
  temp_dir dir;
  const auto path = dir.file("r.db");
  auto s = open(path);
  auto events = demo_events(8000, 11);
  std::mt19937 rng(5);
  std::shuffle(events.begin(), events.end(), rng);  // out of order on purpose
  for (std::size_t i = 0; i < events.size(); i += 997)
    ingest(*s, std::vector<sesami::event>(
                   events.begin() + static_cast<std::ptrdiff_t>(i),
                   events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + 997))));
  const std::int64_t lo = sql_int(path, "SELECT min(ts) FROM events") / hour;
  const std::int64_t hi = sql_int(path, "SELECT max(ts) FROM events") / hour + 1;
  std::uniform_int_distribution<std::int64_t> pick(lo - 2, hi + 2);
  for (int trial = 0; trial < 25; ++trial) {
    std::int64_t a = pick(rng), b = pick(rng);
    if (a > b) std::swap(a, b);
    auto rows = s->rollups("default", a * hour, b * hour);
    REQUIRE(rows);
    std::map<int, std::int64_t> counts, machine, uniq;
    for (auto& r : *rows) {
      counts[static_cast<int>(r.type)] += r.count;
      machine[static_cast<int>(r.type)] += r.machine;
      uniq[static_cast<int>(r.type)] += r.unique;
    }
    const std::string range =
        "ts >= " + std::to_string(a * hour) + " AND ts < " + std::to_string(b * hour);
    for (int t = 0; t < static_cast<int>(sesami::event_type_count); ++t) {
      INFO("type " << t << " range " << a << ".." << b);
      CHECK(counts[t] == count_events(path, range + " AND type = " + std::to_string(t)));
      CHECK(machine[t] ==
            count_events(path, range + " AND machine = 1 AND type = " + std::to_string(t)));
    }
    // Unique opens: pairs whose earliest open falls in the range; a recipient-less open is the
    // pair (message, '') as in the core's aggregation, on both backends.
    const std::int64_t raw_unique =
        sql_int(path,
                "SELECT count(*) FROM (SELECT min(ts) AS f FROM events WHERE type = 4"
                " GROUP BY message_id, recipient) AS firsts WHERE f >= " +
                    std::to_string(a * hour) + " AND f < " + std::to_string(b * hour));
    CHECK(uniq[4] == raw_unique);
  }
}

TEST_CASE("keyset pagination and filters", "[store][query]") {
  temp_dir dir;
  const auto path = dir.file("q.db");
  auto s = open(path);
  auto events = demo_events(4000, 3);
  ingest(*s, events);
  const auto total = count_events(path);

  SECTION("paging visits every event once, newest first") {
    sesami::store::event_query q;
    q.limit = 137;
    std::set<std::int64_t> seen;
    std::int64_t last_ts = INT64_MAX, last_seq = INT64_MAX;
    for (;;) {
      auto page = s->list_events("default", q);
      REQUIRE(page);
      for (auto& e : page->events) {
        CHECK(std::pair(e.timestamp, e.seq) < std::pair(last_ts, last_seq));
        last_ts = e.timestamp, last_seq = e.seq;
        CHECK(seen.insert(e.seq).second);
      }
      if (!page->next) break;
      q.cursor = *page->next;
    }
    CHECK(static_cast<std::int64_t>(seen.size()) == total);
  }
  SECTION("several types merge in time order") {
    sesami::store::event_query q;
    q.filter.types = {event_type::bounce, event_type::complaint, event_type::click};
    q.limit = 1000;
    std::int64_t n = 0;
    std::int64_t prev = INT64_MAX;
    for (;;) {
      auto page = s->list_events("default", q);
      REQUIRE(page);
      for (auto& e : page->events) {
        CHECK((e.type == event_type::bounce || e.type == event_type::complaint ||
               e.type == event_type::click));
        CHECK(e.timestamp <= prev);
        prev = e.timestamp;
        ++n;
      }
      if (!page->next) break;
      q.cursor = *page->next;
    }
    CHECK(n == count_events(path, "type IN (2, 3, 5)"));
  }
  SECTION("recipient patterns, message id, tags, machine, status, time") {
    auto count_all = [&](sesami::store::event_query q) {
      q.limit = 1000;
      std::int64_t n = 0;
      for (;;) {
        auto page = s->list_events("default", q);
        if (!page) FAIL(page.error().message);
        n += static_cast<std::int64_t>(page->events.size());
        if (!page->next) return n;
        q.cursor = *page->next;
      }
    };
    sesami::store::event_query q;
    q.filter.recipients = {"@gmail.com"};
    CHECK(count_all(q) == count_events(path, "recipient LIKE '%@gmail.com'"));
    q.filter.recipients = {"*smith*"};
    CHECK(count_all(q) == count_events(path, "recipient LIKE '%smith%'"));
    q.filter.recipients = {"alice*", "*@icloud.com"};
    CHECK(count_all(q) ==
          count_events(path, "recipient LIKE 'alice%' OR recipient LIKE '%@icloud.com'"));
    const std::string one = events[10].recipient.value();
    q.filter.recipients = {one};
    CHECK(count_all(q) == count_events(path, "recipient = '" + one + "'"));
    q.filter = {};
    q.filter.message_ids = {events[5].message_id};
    CHECK(count_all(q) == count_events(path, "message_id = '" + events[5].message_id + "'"));
    q.filter = {};
    q.filter.tags = {{"campaign", "spring-sale"},    {"campaign", "survey"},
                     {"campaign", "black-friday"},   {"campaign", "newsletter-weekly"},
                     {"campaign", "product-launch"}, {"campaign", "win-back"},
                     {"campaign", "webinar-invite"}, {"campaign", "holiday-gift-guide"}};
    CHECK(count_all(q) == count_events(path, "config_set = 'marketing'"));
    q.filter.tags.push_back({"ses:configuration-set", "transactional"});  // different name: AND
    CHECK(count_all(q) == 0);
    // A user tag drives from the event_tags index; small pages exercise its cursor.
    q.filter = {};
    q.filter.tags = {{"campaign", "spring-sale"}, {"campaign", "survey"}};
    q.filter.types = {event_type::open, event_type::click};
    const auto want =
        count_events(path,
                     "type IN (4, 5) AND (instr(doc, '\"campaign\":[\"spring-sale\"]') > 0 OR "
                     "instr(doc, '\"campaign\":[\"survey\"]') > 0)");
    CHECK(want > 0);
    std::int64_t paged = 0, prev_ts = INT64_MAX;
    q.limit = 7;
    for (;;) {
      auto page = s->list_events("default", q);
      REQUIRE(page);
      for (auto& e : page->events) {
        CHECK(e.timestamp <= prev_ts);
        prev_ts = e.timestamp;
        ++paged;
      }
      if (!page->next) break;
      q.cursor = *page->next;
    }
    CHECK(paged == want);
    q = {};
    q.filter.machine = sesami::machine_filter::only;
    CHECK(count_all(q) == count_events(path, "machine = 1"));
    q.filter.machine = sesami::machine_filter::exclude;
    CHECK(count_all(q) == count_events(path, "machine = 0"));
    q.filter = {};
    q.filter.statuses = {delivery_status::bounced};
    CHECK(count_all(q) == sql_int(path,
                                  "SELECT count(*) FROM events e JOIN recipient_status r ON "
                                  "r.workspace = e.workspace AND r.message_id = e.message_id "
                                  "AND r.recipient = e.recipient WHERE r.status = 5"));
    q.filter = {};
    const std::int64_t mid = sql_int(path, "SELECT ts FROM events ORDER BY ts LIMIT 1 OFFSET 2000");
    q.filter.from = mid;
    q.filter.to = mid + 24 * hour;
    CHECK(count_all(q) == count_events(path, "ts >= " + std::to_string(mid) + " AND ts < " +
                                                 std::to_string(mid + 24 * hour)));
  }
  SECTION("a cursor that does not decode is bad_input") {
    sesami::store::event_query q;
    q.cursor = "garbage";
    auto page = s->list_events("default", q);
    REQUIRE_FALSE(page);
    CHECK(page.error().code == sesami::store::errc::bad_input);
  }
  SECTION("a recipient's history and a message's events") {
    const std::string who = events[0].recipient.value();
    auto h = s->recipient("default", who);
    REQUIRE(h);
    CHECK(static_cast<std::int64_t>(h->events.size()) ==
          count_events(path, "recipient = '" + who + "'"));
    CHECK_FALSE(h->messages.empty());
    auto m = s->message("default", events[0].message_id);
    REQUIRE(m);
    CHECK(static_cast<std::int64_t>(m->events.size()) ==
          count_events(path, "message_id = '" + events[0].message_id + "'"));
    for (std::size_t i = 1; i < m->events.size(); ++i)
      CHECK(m->events[i - 1].timestamp <= m->events[i].timestamp);
    // The stored document is the event as the core writes it.
    auto back = sesami::event_from_json(m->events[0].doc);
    REQUIRE(back);
    CHECK(back->message_id == events[0].message_id);
  }
}

TEST_CASE("workspaces are isolated", "[store][workspace]") {
  temp_dir dir;
  auto s = open(dir.file("w.db"));
  REQUIRE(s->ensure_workspace("other"));
  auto mine = std::vector{make_event("m1", event_type::bounce, "a@x.com", t0)};
  ingest(*s, mine, "default");
  auto theirs = ingest(*s, mine, "other");
  CHECK(theirs.stored == 1);  // same identity, another tenant: stored again, separately
  ingest(*s, {make_event("m2", event_type::send, "b@y.com", t0)}, "other");
  sesami::store::event_query q;
  auto a = s->list_events("default", q);
  auto b = s->list_events("other", q);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->events.size() == 1);
  CHECK(b->events.size() == 2);
  CHECK(s->recipient("default", "b@y.com")->events.empty());
  REQUIRE(s->remove_suppression("other", "a@x.com"));
  CHECK(s->find_suppression("default", "a@x.com")->has_value());
  CHECK_FALSE(s->find_suppression("other", "a@x.com")->has_value());
  CHECK(s->rollups("other", 0, t0 + hour)->size() == 2);
  SECTION("an unknown workspace is refused on write, without failing concurrent writers") {
    auto items = sesami::app::prepare(mine);
    auto r = s->ingest("nobody", items, t0);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == sesami::store::errc::not_found);
    std::vector<sesami::event> many;
    for (int i = 0; i < 200; ++i)
      many.push_back(make_event("g" + std::to_string(i), event_type::send, "a@x.com", t0));
    std::atomic<int> ok{0}, refused{0};
    std::vector<std::thread> th;
    for (int t = 0; t < 4; ++t)
      th.emplace_back([&, t] {
        for (int i = t; i < 200; i += 4) {
          std::vector<sesami::event> one{many[static_cast<std::size_t>(i)]};
          auto it = sesami::app::prepare(one);
          auto res = s->ingest(i % 2 ? "nobody" : "default", it, t0);
          (res ? ok : refused)++;
        }
      });
    for (auto& x : th) x.join();
    CHECK(ok == 100);
    CHECK(refused == 100);
  }
}

TEST_CASE("concurrent ingest is group-committed and exactly once", "[store][concurrency]") {
  temp_dir dir;
  const auto path = dir.file("c.db");
  auto s = open(path);
  auto events = demo_events(4000, 9);
  std::set<std::string> ids;
  for (const auto& it : sesami::app::prepare(events)) ids.insert(it.id);
  // Eight threads each send every event in small requests, as webhook deliveries would.
  std::vector<std::thread> threads;
  std::atomic<std::size_t> stored{0}, failed{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t) % 3; i < events.size(); i += 3) {
        std::vector<sesami::event> one{events[i]};
        auto items = sesami::app::prepare(one);
        auto r = s->ingest("default", items, t0 + 400LL * 24 * hour);
        if (r)
          stored += r->stored;
        else
          ++failed;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failed == 0);
  CHECK(stored == ids.size());
  CHECK(count_events(path) == static_cast<std::int64_t>(ids.size()));
}

TEST_CASE("suppression list is fed by hard bounces and complaints", "[store][suppression]") {
  temp_dir dir;
  auto s = open(dir.file("sup.db"));
  auto soft = make_event("m1", event_type::bounce, "soft@x.com", t0);
  std::get<sesami::bounce_info>(soft.details).cls = sesami::bounce_class::soft;
  std::get<sesami::bounce_info>(soft.details).type = "Transient";
  auto not_spam = make_event("m1", event_type::complaint, "fine@x.com", t0);
  std::get<sesami::complaint_info>(not_spam.details).feedback_type = "not-spam";
  auto multi = make_event("m2", event_type::bounce, "", t0);
  multi.recipient.reset();  // no single recipient: never suppress every destination
  multi.destinations = {"c@x.com", "d@x.com"};
  auto sum = ingest(*s, {make_event("m1", event_type::bounce, "hard@x.com", t0),
                         make_event("m1", event_type::complaint, "angry@x.com", t0 + 1), soft,
                         not_spam, multi, make_event("m1", event_type::delivery, "ok@x.com", t0)});
  CHECK(sum.suppressed == 2);
  auto hard = s->find_suppression("default", "Hard@X.com");  // addresses compare lower-cased
  REQUIRE(hard);
  REQUIRE(hard->has_value());
  CHECK((*hard)->reason == "hard_bounce");
  CHECK((*hard)->source == sesami::store::suppression_source::event);
  CHECK((*hard)->event_id.size() == 32);
  CHECK((*s->find_suppression("default", "angry@x.com"))->reason == "complaint");
  for (auto a : {"soft@x.com", "fine@x.com", "c@x.com", "d@x.com", "ok@x.com"})
    CHECK_FALSE(s->find_suppression("default", a)->has_value());

  SECTION("a removed address is not re-added by a duplicate delivery") {
    REQUIRE(*s->remove_suppression("default", "hard@x.com"));
    ingest(*s, {make_event("m1", event_type::bounce, "hard@x.com", t0)});
    CHECK_FALSE(s->find_suppression("default", "hard@x.com")->has_value());
  }
  SECTION("manual entries keep their first reason; listing pages by address") {
    std::vector<sesami::store::suppression_entry> manual;
    for (int i = 0; i < 25; ++i)
      manual.push_back({"user" + std::to_string(100 + i) + "@y.com", "manual",
                        sesami::store::suppression_source::manual, "", t0});
    manual.push_back({"angry@x.com", "other", sesami::store::suppression_source::manual, "", t0});
    auto added = s->add_suppressions("default", manual);
    REQUIRE(added);
    CHECK(*added == 25);
    CHECK((*s->find_suppression("default", "angry@x.com"))->reason == "complaint");
    sesami::store::suppression_query q;
    q.limit = 10;
    std::vector<std::string> all;
    for (;;) {
      auto page = s->list_suppressions("default", q);
      REQUIRE(page);
      for (auto& e : page->entries) all.push_back(e.address);
      if (!page->next) break;
      q.cursor = *page->next;
    }
    CHECK(all.size() == 27);
    CHECK(std::is_sorted(all.begin(), all.end()));
  }
}

TEST_CASE("retention deletes old raw events in batches and keeps rollups", "[store][retention]") {
  temp_dir dir;
  const auto path = dir.file("ret.db");
  auto s = open(path);
  const std::int64_t day = 24 * hour;
  const std::int64_t now = t0 + 100 * day;
  std::vector<sesami::event> events;
  for (int i = 0; i < 12000; ++i) {
    events.push_back(make_event("m" + std::to_string(i), event_type::send,
                                "r" + std::to_string(i % 50) + "@x.com", t0 + (i % 100) * day + i));
    events.back().tags = {{"campaign", {"c" + std::to_string(i % 3)}}};
  }
  ingest(*s, events, "default", now);
  auto before = s->rollups("default", 0, now + day);
  REQUIRE(s->set_retention("default", 30));
  auto deleted = s->apply_retention("default", now, 1000);
  REQUIRE(deleted);
  const auto cutoff = now - 30 * day;
  CHECK(static_cast<std::int64_t>(*deleted) == 12000 - count_events(path));
  CHECK(count_events(path, "ts < " + std::to_string(cutoff)) == 0);
  CHECK(count_events(path) == 30 * 120);
  CHECK(sql_int(path, "SELECT count(*) FROM event_tags") == 30 * 120);  // tag rows go with them
  CHECK(*before == *s->rollups("default", 0, now + day));

  SECTION("events older than the retention are not stored again") {
    auto again = ingest(*s, events, "default", now);
    CHECK(again.stored == 0);
    CHECK(again.expired == 12000 - 30 * 120);
    CHECK(again.duplicates == 30 * 120);
  }
  SECTION("ingestion proceeds while retention runs") {
    std::vector<sesami::event> fresh;
    for (int i = 0; i < 2000; ++i)
      fresh.push_back(make_event("n" + std::to_string(i), event_type::send, "z@x.com", now - i));
    ingest(*s, events, "default", t0);  // restore the old events (as seen from back then)
    std::thread purge([&] { CHECK(s->apply_retention("default", now, 500)); });
    for (std::size_t i = 0; i < fresh.size(); i += 100)
      ingest(*s,
             std::vector<sesami::event>(fresh.begin() + static_cast<std::ptrdiff_t>(i),
                                        fresh.begin() + static_cast<std::ptrdiff_t>(i + 100)),
             "default", now);
    purge.join();
    CHECK(count_events(path, "message_id LIKE 'n%'") == 2000);
    CHECK(count_events(path, "ts < " + std::to_string(cutoff)) == 0);
  }
}

TEST_CASE("SNS MessageIds are remembered in the ingest transaction", "[store][sns]") {
  temp_dir dir;
  auto s = open(dir.file("sns.db"));
  auto e = make_event("m1", event_type::delivery, "a@x.com", t0);
  e.source.sns_message_id = "0b7c1d3e-sns";
  CHECK_FALSE(*s->sns_message_seen("default", "0b7c1d3e-sns"));
  ingest(*s, {e});
  CHECK(*s->sns_message_seen("default", "0b7c1d3e-sns"));
  CHECK(*s->remember_sns_message("default", "other", t0));
  CHECK_FALSE(*s->remember_sns_message("default", "other", t0));
  CHECK_FALSE(*s->sns_message_seen("another-workspace", "0b7c1d3e-sns"));
}

TEST_CASE("status-filtered listings follow each pair's current status", "[store][query][status]") {
  temp_dir dir;
  const auto path = dir.file("status.db");
  auto s = open(path);
  auto no_rcpt = [](std::string msg, event_type t, std::int64_t ts) {
    auto e = make_event(std::move(msg), t, "", ts);
    e.recipient.reset();
    return e;
  };
  auto listed = [&](std::vector<delivery_status> st, std::vector<event_type> types = {}) {
    std::vector<std::string> out;  // "message/recipient/type", newest first, through every page
    sesami::store::event_query q;
    q.filter.statuses = std::move(st);
    q.filter.types = std::move(types);
    q.limit = 2;
    for (;;) {
      auto page = s->list_events("default", q);
      REQUIRE(page);
      for (const auto& e : page->events)
        out.push_back(e.message_id + "/" + e.recipient + "/" + std::to_string(int(e.type)));
      if (!page->next) break;
      q.cursor = *page->next;
    }
    return out;
  };
  ingest(*s, {make_event("m1", event_type::send, "a@x.com", t0),
              make_event("m1", event_type::send, "b@x.com", t0 + 1),
              make_event("m2", event_type::send, "a@x.com", t0 + 2),
              no_rcpt("m3", event_type::open, t0 + 3)});
  using ds = delivery_status;
  CHECK(listed({ds::sent}) ==
        std::vector<std::string>{"m2/a@x.com/0", "m1/b@x.com/0", "m1/a@x.com/0"});
  CHECK(listed({ds::opened}) == std::vector<std::string>{"m3//4"});  // the pair (m3, '')
  CHECK(listed({ds::bounced}).empty());

  // Later events raise two pairs' statuses: their earlier events move with them.
  ingest(*s, {make_event("m1", event_type::delivery, "a@x.com", t0 + 10),
              make_event("m1", event_type::bounce, "b@x.com", t0 + 11),
              no_rcpt("m3", event_type::click, t0 + 12),
              make_event("m1", event_type::delivery, "a@x.com", t0 + 10)});  // a duplicate
  CHECK(listed({ds::sent}) == std::vector<std::string>{"m2/a@x.com/0"});
  CHECK(listed({ds::delivered}) == std::vector<std::string>{"m1/a@x.com/1", "m1/a@x.com/0"});
  CHECK(listed({ds::bounced}) == std::vector<std::string>{"m1/b@x.com/2", "m1/b@x.com/0"});
  CHECK(listed({ds::clicked}) == std::vector<std::string>{"m3//5", "m3//4"});
  CHECK(listed({ds::bounced, ds::sent}) ==
        std::vector<std::string>{"m1/b@x.com/2", "m2/a@x.com/0", "m1/b@x.com/0"});
  CHECK(listed({ds::bounced}, {event_type::send}) == std::vector<std::string>{"m1/b@x.com/0"});
  // An out-of-order lower event joins the pair at its current status; it does not lower it.
  ingest(*s, {make_event("m1", event_type::delivery, "b@x.com", t0 + 5)});
  CHECK(listed({ds::bounced}) ==
        std::vector<std::string>{"m1/b@x.com/2", "m1/b@x.com/1", "m1/b@x.com/0"});
  CHECK(listed({ds::delivered}).size() == 2);
  // The listing agrees with the pairs' statuses row for row.
  CHECK(listed({ds::bounced}).size() ==
        static_cast<std::size_t>(sql_int(path,
                                         "SELECT count(*) FROM events e JOIN recipient_status r ON "
                                         "r.workspace = e.workspace AND r.message_id = "
                                         "e.message_id AND r.recipient = e.recipient WHERE "
                                         "r.status = 5")));
}

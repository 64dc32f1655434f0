// Several writers on one workspace of one PostgreSQL database (issue #19): four stores — as four
// `sesami serve` nodes, three of them with two writer connections — ingest one shuffled stream with
// duplicates into the SAME workspace at once, in small requests whose events of one pair land on
// different writers at the same moment. Afterwards every table the write path keeps (pair states,
// link first clicks, every rollup level, status counts, each event's status column, the
// suppression list) equals a single writer's ingest of the same events, the pair states equal the
// core's rollup_tables, and GET /stats (app::stats) equals the core's aggregate_rollups over the
// core's tables and aggregate() over the events. A read-modify-write of a pair without its lock
// (a lost update) changes statuses, first opens and unique counts here.
#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/rollup.hpp>

#include "app/stats.hpp"
#include "helpers.hpp"

using namespace store_test;
using sesami::event_type;

namespace {

// Every row of `sql`, one line each ('|' between values, NULL as "~").
std::string dump(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  const std::string err = PQresultErrorMessage(r);
  std::string out;
  for (int i = 0; ok && i < PQntuples(r); ++i) {
    for (int k = 0; k < PQnfields(r); ++k) {
      if (k) out += '|';
      out += PQgetisnull(r, i, k) ? "~" : PQgetvalue(r, i, k);
    }
    out += '\n';
  }
  PQclear(r);
  PQfinish(c);
  if (!ok) FAIL("SQL failed: " << err << " in " << sql);
  return out;
}

// A table's rows summed by key (shard rows, if a design keeps them, add up), all-zero rows left
// out: a counter that went +1 and -1 may or may not have a row, depending on arrival order.
std::string counters(const std::string& url, const std::string& table, const std::string& keys,
                     const std::vector<std::string>& values) {
  std::string sel = "SELECT " + keys, having;
  for (const auto& v : values) {
    sel += ", sum(" + v + ")";
    having += (having.empty() ? "" : " OR ") + ("sum(" + v + ") <> 0");
  }
  return dump(url, sel + " FROM " + table + " GROUP BY " + keys + " HAVING " + having +
                       " ORDER BY " + keys);
}

// Everything the write path keeps for a workspace, as text.
std::map<std::string, std::string> tables(const std::string& url) {
  const std::vector<std::string> type_values = {
      "count",      "machine",      "uniq",      "uniq_human",     "hard",    "soft",
      "suppressed", "undetermined", "sim_count", "sim_uniq_human", "sim_hard"};
  std::map<std::string, std::string> t;
  t["recipient_status"] = dump(url,
                               "SELECT message_id, recipient, status, first_seen, last_seen, "
                               "first_open, first_human_open, first_click, first_human_click "
                               "FROM recipient_status ORDER BY message_id, recipient");
  t["pair_links"] = dump(url,
                         "SELECT message_id, recipient, link, first_click FROM pair_links "
                         "ORDER BY message_id, recipient, link");
  t["events"] = dump(url, "SELECT encode(id, 'hex'), ts, status FROM events ORDER BY 1, 2");
  t["suppressions"] = dump(url, "SELECT address FROM suppressions ORDER BY 1");
  t["rollups"] = counters(url, "rollups", "workspace, hour, type", type_values);
  t["rollups_daily"] = counters(url, "rollups_daily", "workspace, day, type", type_values);
  t["link_rollups"] =
      counters(url, "link_rollups", "workspace, hour, link", {"clicks", "human", "uniq"});
  t["link_rollups_daily"] =
      counters(url, "link_rollups_daily", "workspace, day, link", {"clicks", "human", "uniq"});
  t["domain_rollups"] =
      counters(url, "domain_rollups", "workspace, hour, domain", {"bounces", "hard"});
  t["domain_rollups_daily"] =
      counters(url, "domain_rollups_daily", "workspace, day, domain", {"bounces", "hard"});
  t["status_rollups"] = counters(url, "status_rollups", "workspace, hour, status", {"n"});
  t["status_rollups_daily"] =
      counters(url, "status_rollups_daily", "workspace, day, status", {"n"});
  t["status_counts"] = counters(url, "status_counts", "workspace, status", {"n"});
  return t;
}

// The core's pair states in the dump's shape.
std::string core_pairs(const sesami::rollup_tables& core) {
  std::string out;
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "~"; };
  for (const auto& [key, p] : core.pairs()) {
    if (!p.status) continue;  // no status-bearing event: no row
    out += key.first + '|' + key.second + '|' + std::to_string(static_cast<int>(*p.status)) + '|' +
           std::to_string(p.first_seen) + '|' + std::to_string(p.last_seen);
    for (const auto& f : p.firsts) out += '|' + opt(f);
    out += '\n';
  }
  return out;
}

// Demo traffic plus a few hot pairs: many opens and clicks (human and machine, several links) at
// random times, whose first open / click and unique counts depend on every one of them.
std::vector<sesami::event> stream(std::mt19937_64& rng) {
  auto events = demo_events(1500, 19, 2);
  std::uniform_int_distribution<std::int64_t> when(t0, t0 + 30 * hour);
  std::bernoulli_distribution coin(0.5);
  for (int m = 0; m < 12; ++m) {
    const std::string msg = "hot-" + std::to_string(m),
                      rcpt = "hot" + std::to_string(m % 4) + "@example.org";
    events.push_back(make_event(msg, event_type::send, rcpt, when(rng)));
    events.push_back(make_event(msg, event_type::delivery, rcpt, when(rng)));
    for (int k = 0; k < 30; ++k) {
      auto e = make_event(msg, coin(rng) ? event_type::open : event_type::click, rcpt, when(rng),
                          coin(rng));
      if (auto* c = std::get_if<sesami::click_info>(&e.details))
        c->link = "https://example.com/" + std::to_string(k % 3);
      events.push_back(std::move(e));
    }
    if (m % 3 == 0) events.push_back(make_event(msg, event_type::bounce, rcpt, when(rng)));
  }
  return events;
}

}  // namespace

TEST_CASE(
    "four writers on one workspace store what one writer stores: pair states, rollups, "
    "statuses and /stats",
    "[postgres][concurrency]") {
  std::mt19937_64 rng(0x5e5a319);
  std::vector<sesami::event> events;  // each identity once (the demo repeats a few)
  {
    auto all = stream(rng);
    const auto items = sesami::app::prepare(all);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < all.size(); ++i)
      if (seen.insert(items[i].id).second) events.push_back(std::move(all[i]));
  }
  // Each event once or twice (a redelivery), all shuffled.
  std::vector<const sesami::event*> order;
  std::bernoulli_distribution again(0.3);
  for (const auto& e : events) {
    order.push_back(&e);
    if (again(rng)) order.push_back(&e);
  }
  std::shuffle(order.begin(), order.end(), rng);
  // Small requests (1..16 events): a pair's events spread over many concurrent transactions.
  std::vector<std::vector<sesami::event>> chunks;
  std::uniform_int_distribution<std::size_t> size(1, 16);
  for (std::size_t i = 0; i < order.size();) {
    const std::size_t n = std::min(size(rng), order.size() - i);
    std::vector<sesami::event> c;
    for (std::size_t k = 0; k < n; ++k) c.push_back(*order[i + k]);
    chunks.push_back(std::move(c));
    i += n;
  }

  temp_dir dir;
  const std::string one_path = dir.file("one.db"), many_path = dir.file("many.db");
  std::uint64_t stored = 0, duplicates = 0;
  {  // one writer, in order, requests of 200 events
    auto s = open(one_path);
    for (std::size_t i = 0; i < order.size(); i += 200) {
      std::vector<sesami::event> c;
      for (std::size_t k = i; k < std::min(order.size(), i + 200); ++k) c.push_back(*order[k]);
      stored += ingest(*s, c).stored;
    }
  }
  {  // four writers at once
    constexpr int writers = 4;
    std::vector<std::unique_ptr<sesami::store::store>> stores;
    stores.push_back(open(many_path));
    for (int i = 1; i < writers; ++i) {
      sesami::store::pg_options o;
      o.url = pg_url_for(many_path);
      o.writers = 2;  // and within a node, two groups at once
      auto s = sesami::store::open_postgres(o);
      REQUIRE(s);
      stores.push_back(std::move(*s));
    }
    std::atomic<std::size_t> next{0};
    std::atomic<std::uint64_t> many_stored{0}, many_dup{0};
    std::atomic<int> failures{0};
    std::mutex mu;
    std::string first_error;
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&, w] {
        for (std::size_t i; (i = next.fetch_add(1)) < chunks.size();) {
          const auto items = sesami::app::prepare(chunks[i]);
          auto r =
              stores[static_cast<std::size_t>(w)]->ingest("default", items, t0 + 400 * 24 * hour);
          if (!r) {
            if (++failures == 1) {
              std::lock_guard lock(mu);
              first_error = r.error().message;
            }
            continue;
          }
          many_stored += r->stored, many_dup += r->duplicates;
        }
      });
    for (auto& t : threads) t.join();
    INFO("first failure: " << first_error);
    CHECK(failures == 0);  // no deadlock, no serialization failure: every request stored
    CHECK(many_stored == stored);
    duplicates = many_dup;
  }
  CHECK(stored == events.size());
  CHECK(duplicates == order.size() - events.size());

  const auto one = tables(pg_url_for(one_path)), many = tables(pg_url_for(many_path));
  for (const auto& [name, rows] : one) {
    INFO("table " << name);
    CHECK_FALSE(rows.empty());
    CHECK(many.at(name) == rows);
  }

  // The core, fed the same events (each identity once, any order).
  sesami::rollup_tables core;
  for (const auto* e : order) core.add(*e);
  CHECK(core.size() == events.size());
  CHECK(many.at("recipient_status") == core_pairs(core));

  // GET /stats over every hour of the stream: both stores, the core's rollup aggregation and the
  // in-memory aggregation.
  std::int64_t lo = events.front().timestamp, hi = lo;
  for (const auto& e : events) lo = std::min(lo, e.timestamp), hi = std::max(hi, e.timestamp);
  sesami::app::stats_request req;
  req.from = lo / hour * hour;
  req.to = (hi / hour + 1) * hour;
  req.bucket = sesami::bucket_kind::hour;
  auto s_one = open(one_path), s_many = open(many_path);
  auto a_one = sesami::app::stats(*s_one, "default", req);
  auto a_many = sesami::app::stats(*s_many, "default", req);
  REQUIRE(a_one);
  REQUIRE(a_many);
  CHECK(sesami::to_json(*a_many) == sesami::to_json(*a_one));
  const auto rows = core.read();
  sesami::aggregate_options o;
  o.from = req.from;
  o.to = req.to;
  o.bucket = sesami::bucket_kind::hour;
  auto want = sesami::aggregate_rollups(rows.input(), o);
  REQUIRE(want);
  CHECK(sesami::to_json(*a_many) == sesami::to_json(*want));
  sesami::filter f;
  f.from = req.from;
  f.to = req.to;
  auto b = sesami::make_batch(events);
  REQUIRE(b);
  auto direct = sesami::aggregate(*b, f, o);
  REQUIRE(direct);
  CHECK(a_many->totals == direct->totals);
  CHECK(a_many->sent == direct->sent);
  CHECK(a_many->delivered == direct->delivered);
  CHECK(a_many->hard_bounced == direct->hard_bounced);
  CHECK(a_many->bounce_classes == direct->bounce_classes);
  CHECK(a_many->human_opened == direct->human_opened);
  CHECK(a_many->human_clicked == direct->human_clicked);
  CHECK(a_many->opens == direct->opens);
  CHECK(a_many->clicks == direct->clicks);
  CHECK(a_many->statuses == direct->statuses);
}

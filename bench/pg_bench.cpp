// PostgreSQL next to SQLite (docs/performance.md, "#8 PostgreSQL"): the same prepared demo events
// ingested into both backends in the same run, then the same queries on both.
//
//   pg_bench [--events N] [--dir DIR] [--pg URL]
//   pg_bench --compare PG_URL SQLITE_FILE [--days 90] [--runs 200]
//
// 1. Ingest, two shapes: bulk (requests of 10 000 events, as `sesami import`) and webhook-like
//    (8 threads sending requests of 10 events, group-committed). Events/s per backend and the
//    PostgreSQL / SQLite ratio; stored counts checked against the distinct identities.
// 2. Queries on the N-event databases: stats (rollups) for 30 days, one recipient's history, one
//    page of a listing filtered by type, and the page after it — p50 / p95 over many runs.
// The PostgreSQL database is a fresh schema of --pg (default: the test database), dropped at exit.
//
// --compare: the queries only, on two existing databases that `sesami demo` filled with the same
// seed, size and day (equal data; issue #8's 10 M figures): /stats (app::stats: rollups, top lists,
// statuses) for 7, 30 and 90 days, one recipient's history, a page filtered by type, a page
// filtered by status=bounced and the page after it. Opening the PostgreSQL store migrates it (the
// time is printed).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>
#include <sesami/demo.hpp>
#include <sesami/parse.hpp>

#include "app/import.hpp"
#include "app/stats.hpp"
#include "store/postgres/pg_store.hpp"
#include "store/store.hpp"

namespace {
using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

struct timing {
  std::vector<double> ms;
  double pct(double p) {
    std::sort(ms.begin(), ms.end());
    if (ms.empty()) return 0;
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  }
};

void admin(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::fprintf(stderr, "%s: %s\n", sql.c_str(), PQerrorMessage(c));
    std::exit(1);
  }
  PQclear(r);
  PQfinish(c);
}

struct backends {
  std::string dir, pg_url, schema;
  int round = 0;
  std::unique_ptr<sesami::store::store> sqlite(const std::string& name) {
    const auto path = dir + "/" + name + ".db";
    for (auto sfx : {"", "-wal", "-shm"}) std::filesystem::remove(path + sfx);
    sesami::store::open_options o;
    o.path = path;
    return check(sesami::store::open_sqlite(o));
  }
  std::unique_ptr<sesami::store::store> postgres() {
    schema = "bench" + std::to_string(::getpid()) + "_" + std::to_string(++round);
    admin(pg_url, "CREATE SCHEMA " + schema);
    sesami::store::pg_options o;
    o.url = pg_url + (pg_url.find('?') == std::string::npos ? "?" : "&") +
            "options=-csearch_path%3D" + schema;
    return check(sesami::store::open_postgres(o));
  }
  static std::unique_ptr<sesami::store::store> check(
      sesami::store::result<std::unique_ptr<sesami::store::store>> s) {
    if (!s) {
      std::fprintf(stderr, "open: %s\n", s.error().message.c_str());
      std::exit(1);
    }
    (void)(*s)->ensure_workspace("default");
    return std::move(*s);
  }
};

// Returns events/s; checks the stored count.
double ingest_bulk(sesami::store::store& s, const std::vector<sesami::store::ingest_item>& items,
                   std::size_t distinct) {
  const auto t = clock_type::now();
  std::size_t stored = 0;
  const std::int64_t now = 4'000'000'000'000;
  sesami::store::ingest_options o;
  o.remember_sns_message_ids = false;
  for (std::size_t i = 0; i < items.size(); i += 10000) {
    const auto n = std::min<std::size_t>(10000, items.size() - i);
    auto r = s.ingest("default", std::span(items).subspan(i, n), now, o);
    if (!r) {
      std::fprintf(stderr, "ingest: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    stored += r->stored;
  }
  const double secs = seconds_since(t);
  if (stored != distinct) {
    std::fprintf(stderr, "stored %zu, expected %zu\n", stored, distinct);
    std::exit(1);
  }
  return static_cast<double>(items.size()) / secs;
}

double ingest_webhook(sesami::store::store& s, const std::vector<sesami::store::ingest_item>& items,
                      std::size_t distinct) {
  std::atomic<std::size_t> next{0}, stored{0};
  const std::int64_t now = 4'000'000'000'000;
  const auto t = clock_type::now();
  std::vector<std::thread> th;
  for (int k = 0; k < 8; ++k)
    th.emplace_back([&] {
      for (;;) {
        const std::size_t i = next.fetch_add(10);
        if (i >= items.size()) return;
        const auto n = std::min<std::size_t>(10, items.size() - i);
        auto r = s.ingest("default", std::span(items).subspan(i, n), now);
        if (!r) {
          std::fprintf(stderr, "ingest: %s\n", r.error().message.c_str());
          std::exit(1);
        }
        stored += r->stored;
      }
    });
  for (auto& x : th) x.join();
  const double secs = seconds_since(t);
  if (stored != distinct) {
    std::fprintf(stderr, "stored %zu, expected %zu\n", stored.load(), distinct);
    std::exit(1);
  }
  return static_cast<double>(items.size()) / secs;
}

void queries(const char* name, sesami::store::store& s, const std::vector<sesami::event>& events,
             std::int64_t lo, std::int64_t hi) {
  timing stats, recipient, page1, page2;
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::int64_t> start(
      lo, std::max<std::int64_t>(lo, hi - 30LL * 86'400'000));
  std::uniform_int_distribution<std::size_t> pick(0, events.size() - 1);
  for (int i = 0; i < 200; ++i) {
    const auto a = start(rng);
    auto t = clock_type::now();
    auto r = s.rollups("default", a, a + 30LL * 86'400'000);
    stats.ms.push_back(seconds_since(t) * 1000);
    if (!r) std::exit(1);
    const auto& e = events[pick(rng)];
    t = clock_type::now();
    auto h = s.recipient("default", e.recipient.value_or("nobody@example.com"));
    recipient.ms.push_back(seconds_since(t) * 1000);
    if (!h) std::exit(1);
    sesami::store::event_query q;
    q.filter.types = {sesami::event_type::bounce, sesami::event_type::complaint};
    q.limit = 50;
    q.filter.to = e.timestamp;
    t = clock_type::now();
    auto p = s.list_events("default", q);
    page1.ms.push_back(seconds_since(t) * 1000);
    if (!p) std::exit(1);
    if (p->next) {
      q.cursor = *p->next;
      t = clock_type::now();
      auto p2 = s.list_events("default", q);
      page2.ms.push_back(seconds_since(t) * 1000);
      if (!p2) std::exit(1);
    }
  }
  std::printf(
      "  %-10s stats 30 d p50 %6.2f p95 %6.2f | recipient p50 %6.2f p95 %6.2f | "
      "page p50 %6.2f p95 %6.2f | next page p50 %6.2f p95 %6.2f ms\n",
      name, stats.pct(0.5), stats.pct(0.95), recipient.pct(0.5), recipient.pct(0.95),
      page1.pct(0.5), page1.pct(0.95), page2.pct(0.5), page2.pct(0.95));
}
// --compare: the same query mix on each store, with the same random choices.
struct compare_plan {
  std::int64_t lo = 0, hi = 0;  // the data's period
  std::vector<std::int64_t> points;
  std::vector<std::string> recipients;
};

void compare_queries(const char* name, sesami::store::store& s, const compare_plan& plan,
                     std::vector<double>& p95s) {
  constexpr std::int64_t day = 86'400'000;
  timing st[3], recipient, page_type, page_status, page_next;
  const int days[3] = {7, 30, 90};
  auto time = [](timing& t, auto&& fn) {
    const auto t0 = clock_type::now();
    auto r = fn();
    t.ms.push_back(seconds_since(t0) * 1000);
    if (!r) {
      std::fprintf(stderr, "query: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    return r;
  };
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const std::int64_t at = plan.points[i];
    for (int k = 0; k < 3; ++k) {
      sesami::app::stats_request req;
      req.to = std::max(at, plan.lo + days[k] * day);
      req.from = *req.to - days[k] * day;
      time(st[k], [&] { return sesami::app::stats(s, "default", req); });
    }
    time(recipient, [&] { return s.recipient("default", plan.recipients[i]); });
    sesami::store::event_query q;
    q.limit = 50;
    q.filter.to = at;
    q.filter.types = {sesami::event_type::bounce, sesami::event_type::complaint};
    time(page_type, [&] { return s.list_events("default", q); });
    q.filter.types.clear();
    q.filter.statuses = {sesami::delivery_status::bounced};
    auto p = time(page_status, [&] { return s.list_events("default", q); });
    if (p->next) {
      q.cursor = *p->next;
      time(page_next, [&] { return s.list_events("default", q); });
    }
  }
  std::printf("  %-10s", name);
  const char* labels[] = {"stats 7 d",  "stats 30 d",  "stats 90 d", "recipient",
                          "page types", "page status", "next status"};
  timing* all[] = {&st[0], &st[1], &st[2], &recipient, &page_type, &page_status, &page_next};
  for (int k = 0; k < 7; ++k) {
    std::printf(" | %s %.2f/%.2f", labels[k], all[k]->pct(0.5), all[k]->pct(0.95));
    p95s.push_back(all[k]->pct(0.95));
  }
  std::printf(" ms (p50/p95)\n");
}

int compare(const std::string& pg_url, const std::string& sqlite_path, int days, int runs) {
  constexpr std::int64_t day = 86'400'000;
  sesami::store::open_options so;
  so.path = sqlite_path;
  auto sq = backends::check(sesami::store::open_sqlite(so));
  auto t = clock_type::now();
  sesami::store::pg_options po;
  po.url = pg_url;
  auto pg = backends::check(sesami::store::open_postgres(po));
  std::printf("PostgreSQL opened (and migrated) in %.1f s, schema version %d\n", seconds_since(t),
              pg->schema_version());
  compare_plan plan;
  // `sesami demo`'s period: `days` days ending at today's midnight (UTC).
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  plan.hi = now / day * day;
  plan.lo = plan.hi - days * day;
  std::mt19937_64 rng(8);
  std::uniform_int_distribution<std::int64_t> pick(plan.lo, plan.hi);
  while (static_cast<int>(plan.points.size()) < runs) {
    const auto at = pick(rng);
    sesami::store::event_query q;  // a recipient who has events, found on the reference
    q.limit = 1;
    q.filter.to = at;
    auto p = sq->list_events("default", q);
    if (!p || p->events.empty() || p->events[0].recipient.empty()) continue;
    plan.points.push_back(at);
    plan.recipients.push_back(p->events[0].recipient);
  }
  std::vector<double> sq95, pg95;
  for (int round = 0; round < 2; ++round) {  // the first round warms both caches
    sq95.clear(), pg95.clear();
    if (round == 1) std::printf("== queries, %d runs each (second round) ==\n", runs);
    compare_queries(round ? "SQLite" : "(warm-up)", *sq, plan, sq95);
    compare_queries(round ? "PostgreSQL" : "(warm-up)", *pg, plan, pg95);
  }
  std::printf("  p95 PostgreSQL / SQLite:");
  for (std::size_t k = 0; k < sq95.size(); ++k)
    std::printf(" %.2f", sq95[k] > 0 ? pg95[k] / sq95[k] : 0.0);
  std::printf("\n");
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && !std::strcmp(argv[1], "--compare")) {
    int days = 90, runs = 200;
    for (int i = 4; i + 1 < argc; i += 2) {
      if (!std::strcmp(argv[i], "--days")) days = std::stoi(argv[i + 1]);
      if (!std::strcmp(argv[i], "--runs")) runs = std::stoi(argv[i + 1]);
    }
    return compare(argv[2], argv[3], days, runs);
  }
  std::size_t n = 200'000;
  backends b;
  b.dir = std::filesystem::temp_directory_path().string();
  b.pg_url = "postgresql://sesami:sesami@127.0.0.1:5432/sesami_test";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events")) n = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) b.dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--pg")) b.pg_url = argv[i + 1];
  }
  sesami::demo::options o;
  o.events = n;
  o.seed = 1;
  sesami::demo::generator g(o);
  std::vector<sesami::event> events;
  std::string p;
  while (g.next(p)) {
    auto r = sesami::parse_document(p);
    if (r)
      for (auto& e : *r) events.push_back(std::move(e));
  }
  const auto items = sesami::app::prepare(events);
  std::set<std::string> ids;
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto& it : items) ids.insert(it.id);
  for (const auto& e : events) lo = std::min(lo, e.timestamp), hi = std::max(hi, e.timestamp);
  std::printf("== ingest: %zu demo events (%zu distinct), prepared ==\n", items.size(), ids.size());

  std::vector<std::string> schemas;
  auto sq = b.sqlite("bench-bulk");
  const double sq_bulk = ingest_bulk(*sq, items, ids.size());
  auto pg = b.postgres();
  schemas.push_back(b.schema);
  const double pg_bulk = ingest_bulk(*pg, items, ids.size());
  std::printf(
      "  bulk (10 000 per request)      SQLite %9.0f ev/s   PostgreSQL %9.0f ev/s   "
      "ratio %.2f\n",
      sq_bulk, pg_bulk, pg_bulk / sq_bulk);
  {
    const std::size_t m = std::min<std::size_t>(items.size(), 50'000);
    const std::vector<sesami::store::ingest_item> some(items.begin(),
                                                       items.begin() + static_cast<long>(m));
    std::set<std::string> some_ids;
    for (const auto& it : some) some_ids.insert(it.id);
    auto sq2 = b.sqlite("bench-hook");
    const double sq_hook = ingest_webhook(*sq2, some, some_ids.size());
    auto pg2 = b.postgres();
    schemas.push_back(b.schema);
    const double pg_hook = ingest_webhook(*pg2, some, some_ids.size());
    std::printf(
        "  webhook (8 threads x 10/req)   SQLite %9.0f ev/s   PostgreSQL %9.0f ev/s   "
        "ratio %.2f   (%zu events)\n",
        sq_hook, pg_hook, pg_hook / sq_hook, m);
  }
  for (const char* t : {".events", ".recipient_status", ".rollups"})
    admin(b.pg_url, "ANALYZE " + schemas[0] + t);  // autovacuum may not have run yet
  std::printf("== queries on %zu events ==\n", ids.size());
  queries("SQLite", *sq, events, lo, hi);
  queries("PostgreSQL", *pg, events, lo, hi);
  pg.reset();
  for (const auto& s : schemas) admin(b.pg_url, "DROP SCHEMA " + s + " CASCADE");
  std::filesystem::remove(b.dir + "/bench-bulk.db");
  std::filesystem::remove(b.dir + "/bench-hook.db");
  return 0;
}

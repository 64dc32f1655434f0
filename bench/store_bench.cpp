// Store benchmarks (docs/performance.md, store section). A dedicated program rather than Google
// Benchmark: each figure needs a large database built once, and the import figure is a ratio of
// two rates measured in the same run.
//
//   store_bench [--import N] [--events M] [--dir DIR] [--keep]
//
// 1. Import: N demo events as JSON Lines → sesami import path (parse, identity, to_json, store with
//    all indexes, statuses, rollups, suppression) vs. a bare INSERT of the same prepared rows into
//    the same table with the same indexes (no parsing, no statuses, no rollups). Both in fresh
//    databases in the same run; the answer (stored rows) is checked against the number of distinct
//    identities before the rates are reported.
// 2. Queries on a database of M demo events: stats for ranges, one recipient's history, one page of
//    filtered listings — p50 / p95 / max over many runs — and the database size per million events.
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include <sesami/demo.hpp>
#include <sesami/parse.hpp>

#include "app/import.hpp"
#include "app/stats.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/store.hpp"

namespace {
using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}
// CPU seconds of this process: on a machine shared with other work, wall-clock rates measure the
// neighbours as much as us; CPU time (user + system) does not (but hides fsync waits).
double cpu_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string demo_jsonl(std::size_t events, std::uint64_t seed, std::size_t* payloads = nullptr) {
  sesami::demo::options o;
  o.events = events;
  o.seed = seed;
  sesami::demo::generator g(o);
  std::string out, p;
  out.reserve(events * 1400);
  while (g.next(p)) out.append(p).push_back('\n');
  if (payloads) *payloads = g.payloads();
  return out;
}

std::unique_ptr<sesami::store::store> open_fresh(const std::string& path) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  sesami::store::open_options opt;
  opt.path = path;
  auto s = sesami::store::open_sqlite(opt);
  if (!s) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), s.error().message.c_str());
    std::exit(1);
  }
  (void)(*s)->ensure_workspace("default");
  return std::move(*s);
}

std::uint64_t db_bytes(const std::string& path) {
  std::uint64_t n = 0;
  for (auto suffix : {"", "-wal"}) {
    struct stat sb {};
    if (::stat((path + suffix).c_str(), &sb) == 0) n += static_cast<std::uint64_t>(sb.st_size);
  }
  return n;
}

struct timing {
  std::vector<double> ms;
  void add(double v) { ms.push_back(v); }
  double pct(double p) {
    std::sort(ms.begin(), ms.end());
    if (ms.empty()) return 0;
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  }
};

void report(const char* name, timing& t) {
  std::printf("  %-44s p50 %7.2f ms   p95 %7.2f ms   max %7.2f ms   (%zu runs)\n", name, t.pct(0.5),
              t.pct(0.95), t.pct(1.0), t.ms.size());
}

template <class F>
double time_ms(F&& f) {
  const auto t = clock_type::now();
  f();
  return seconds_since(t) * 1000;
}

// ---- 1. import vs bare insert ----------------------------------------------------------------
void bench_import(const std::string& dir, std::size_t n) {
  std::printf("\n== import: %zu demo events, JSON Lines -> SQLite ==\n", n);
  std::size_t payloads = 0;
  const std::string text = demo_jsonl(n, 1, &payloads);
  std::printf("  input: %zu payloads, %.1f MB\n", payloads, static_cast<double>(text.size()) / 1e6);

  // Reference answer: distinct identities of the parsed events.
  const auto t_parse = clock_type::now();
  auto parsed = sesami::parse_batch(text);
  const double parse_s = seconds_since(t_parse);
  const auto t_prep = clock_type::now();
  auto items = sesami::app::prepare(parsed.events);
  const double prep_s = seconds_since(t_prep);
  std::set<std::string> ids;
  for (auto& it : items) ids.insert(it.id);

  // (a) the real path: parse → identity → to_json → store (indexes, statuses, rollups, suppression)
  const std::string full_path = dir + "/import.db";
  auto full = open_fresh(full_path);
  sesami::app::importer im(*full, "default", 10000);
  const auto t_full = clock_type::now();
  const double c_full = cpu_now();
  // Fed in pieces of about 4 MB cut at line ends, as `sesami import` does, so that parsing a piece
  // overlaps committing the previous batch.
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = std::min(text.size(), pos + (4u << 20));
    if (end < text.size()) end = text.find('\n', end) + 1;
    if (!im.add_text(std::string_view(text).substr(pos, end - pos), "bench")) std::exit(1);
    pos = end;
  }
  if (!im.flush()) std::exit(1);
  const double full_s = seconds_since(t_full);
  const double full_cpu = cpu_now() - c_full;
  if (im.summary().stored != ids.size() || !im.rejected().empty()) {
    std::fprintf(stderr, "WRONG ANSWER: stored %zu, expected %zu distinct\n", im.summary().stored,
                 ids.size());
    std::exit(1);
  }
  const double full_rate = static_cast<double>(im.read()) / full_s;

  // (b) bare: the same rows, already prepared, into the same table and indexes; no parsing, no
  // statuses, no rollups. Schema from migration 1 so that the table and indexes are identical (no
  // later migration changes `events`), and the import's pragmas: WAL, 256 MB cache, batches with
  // synchronous = NORMAL and a 10 000-page checkpoint interval, then a FULL-synced checkpoint
  // before the clock stops (what importer::flush() does).
  const std::string bare_path = dir + "/bare.db";
  full.reset();
  std::filesystem::remove(bare_path);
  sqlite3* db = nullptr;
  sqlite3_open(bare_path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144; "
               "PRAGMA wal_autocheckpoint=10000",
               nullptr, nullptr, nullptr);
  sqlite3_exec(db, std::string(sesami::store::sqlite::migrations[0].sql).c_str(), nullptr, nullptr,
               nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO events (workspace, id, ts, type, message_id, recipient, machine, "
                     "config_set, doc) "
                     "VALUES ('default', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                     -1, &ins, nullptr);
  std::vector<std::string> blobs;
  blobs.reserve(items.size());
  for (auto& it : items) {
    std::string b(16, '\0');
    for (std::size_t i = 0; i < 16; ++i)
      b[i] = static_cast<char>(std::stoi(it.id.substr(2 * i, 2), nullptr, 16));
    blobs.push_back(std::move(b));
  }
  const auto t_bare = clock_type::now();
  const double c_bare = cpu_now();
  std::size_t bare_rows = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i % 10000 == 0) sqlite3_exec(db, i ? "COMMIT; BEGIN" : "BEGIN", nullptr, nullptr, nullptr);
    const auto& e = *items[i].ev;
    sqlite3_bind_blob(ins, 1, blobs[i].data(), 16, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 2, e.timestamp);
    sqlite3_bind_int(ins, 3, static_cast<int>(e.type));
    sqlite3_bind_text(ins, 4, e.message_id.data(), static_cast<int>(e.message_id.size()),
                      SQLITE_STATIC);
    const std::string& r = e.recipient ? *e.recipient : blobs[0].substr(0, 0);
    sqlite3_bind_text(ins, 5, r.data(), static_cast<int>(r.size()), SQLITE_STATIC);
    sqlite3_bind_int(ins, 6, e.machine() ? 1 : 0);
    sqlite3_bind_text(ins, 7, e.configuration_set.data(),
                      static_cast<int>(e.configuration_set.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, 8, items[i].doc.data(), static_cast<int>(items[i].doc.size()),
                      SQLITE_STATIC);
    sqlite3_step(ins);
    bare_rows += static_cast<std::size_t>(sqlite3_changes(db));
    sqlite3_reset(ins);
  }
  sqlite3_exec(db, "COMMIT; PRAGMA synchronous=FULL; PRAGMA wal_checkpoint(PASSIVE)", nullptr,
               nullptr, nullptr);
  const double bare_s = seconds_since(t_bare);
  const double bare_cpu = cpu_now() - c_bare;
  sqlite3_finalize(ins);
  sqlite3_close(db);
  if (bare_rows != ids.size()) {
    std::fprintf(stderr, "WRONG ANSWER (bare): %zu rows, expected %zu\n", bare_rows, ids.size());
    std::exit(1);
  }
  const double bare_rate = static_cast<double>(items.size()) / bare_s;
  const double full_cpu_rate = static_cast<double>(im.read()) / full_cpu;
  const double bare_cpu_rate = static_cast<double>(items.size()) / bare_cpu;
  std::printf(
      "  sesami import (parse+identity+json+store+rollups): %9.0f events/s wall (%.2f s), %9.0f "
      "per CPU-second\n",
      full_rate, full_s, full_cpu_rate);
  std::printf(
      "  bare INSERT of the same rows, same indexes:        %9.0f rows/s   wall (%.2f s), %9.0f "
      "per CPU-second\n",
      bare_rate, bare_s, bare_cpu_rate);
  std::printf("  of which, measured alone: parse %.2f s, identity+to_json %.2f s\n", parse_s,
              prep_s);
  std::printf(
      "  ratio: %.0f %% of bare by wall clock, %.0f %% by CPU time  (goal >= 50 %%; absolute goal "
      ">= 100 000 events/s)\n",
      100 * full_rate / bare_rate, 100 * full_cpu_rate / bare_cpu_rate);
  std::filesystem::remove(bare_path);
}

// ---- 2. queries on a large database
// --------------------------------------------------------------
void bench_queries(const std::string& dir, std::size_t n, bool reuse) {
  const std::string path = dir + "/query.db";
  std::printf("\n== queries on a database of ~%zu demo events ==\n", n);
  if (!reuse || !std::filesystem::exists(path)) {
    auto s = open_fresh(path);
    sesami::app::importer im(*s, "default", 10000);
    sesami::demo::options o;
    o.events = n;
    o.seed = 42;
    sesami::demo::generator g(o);
    std::string lines, p;
    std::size_t k = 0;
    const auto t = clock_type::now();
    while (g.next(p)) {
      lines.append(p).push_back('\n');
      if (++k % 20000 == 0) {
        if (!im.add_text(lines, "demo")) std::exit(1);
        lines.clear();
      }
    }
    if (!im.add_text(lines, "demo") || !im.flush()) std::exit(1);
    std::printf("  built in %.0f s (%zu events stored, %.0f events/s including generation)\n",
                seconds_since(t), im.summary().stored,
                static_cast<double>(im.read()) / seconds_since(t));
  }
  sesami::store::open_options opt;
  opt.path = path;
  const auto t_open = clock_type::now();
  auto opened = sesami::store::open_sqlite(opt);  // migrates a database kept from an older build
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    std::exit(1);
  }
  auto s = std::move(*opened);
  std::printf("  opened (and migrated) in %.2f s\n", seconds_since(t_open));
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    std::int64_t v = 0;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  };
  const std::int64_t count = scalar("SELECT count(*) FROM events");
  const std::int64_t lo = scalar("SELECT min(ts) FROM events"),
                     hi = scalar("SELECT max(ts) FROM events");
  std::vector<std::string> recipients;
  {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(
        db, "SELECT recipient FROM events WHERE recipient != '' ORDER BY random() LIMIT 300", -1,
        &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW)
      recipients.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  const double mb = static_cast<double>(db_bytes(path)) / 1e6;
  std::printf("  %lld events, %.0f MB on disk: %.0f MB per million events\n",
              static_cast<long long>(count), mb, mb / (static_cast<double>(count) / 1e6));

  std::mt19937_64 rng(3);
  const std::int64_t day = 86'400'000;
  {  // stats for a range — and check against a raw count once
    timing t;
    for (int i = 0; i < 200; ++i) {
      sesami::app::stats_request req;
      const std::int64_t len = (1 + static_cast<std::int64_t>(rng() % 90)) * day;
      const std::int64_t from =
          lo + static_cast<std::int64_t>(
                   rng() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, hi - lo - len)));
      req.from = from;
      req.to = from + len;
      req.bucket = len > 30 * day ? sesami::bucket_kind::week : sesami::bucket_kind::day;
      t.add(time_ms([&] {
        if (!sesami::app::stats(*s, "default", req)) std::exit(1);
      }));
    }
    report("stats, random range of 1-90 days", t);
    timing all;
    for (int i = 0; i < 20; ++i)
      all.add(time_ms([&] {
        auto a = sesami::app::stats(*s, "default", {});
        if (!a || static_cast<std::int64_t>(a->events) != count) {
          std::fprintf(stderr, "WRONG ANSWER: stats total differs from the event count\n");
          std::exit(1);
        }
      }));
    report("stats, everything, hourly rollups -> daily", all);
  }
  {
    timing t;
    for (const auto& r : recipients)
      t.add(time_ms([&] {
        auto h = s->recipient("default", r);
        if (!h || h->events.empty()) std::exit(1);
      }));
    report("one recipient's full history", t);
  }
  auto page = [&](const char* name, std::function<void(sesami::store::event_query&)> setup,
                  int runs = 200) {
    timing t;
    for (int i = 0; i < runs; ++i) {
      sesami::store::event_query q;
      q.limit = 50;
      setup(q);
      t.add(time_ms([&] {
        if (!s->list_events("default", q)) std::exit(1);
      }));
    }
    report(name, t);
  };
  auto random_to = [&](sesami::store::event_query& q) {
    q.filter.to = lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo));
  };
  page("page: no filter, random start", [&](auto& q) { random_to(q); });
  page("page: type=bounce, random start", [&](auto& q) {
    q.filter.types = {sesami::event_type::bounce};
    random_to(q);
  });
  page("page: type=bounce,complaint", [&](auto& q) {
    q.filter.types = {sesami::event_type::bounce, sesami::event_type::complaint};
  });
  page("page: recipient @gmail.com", [&](auto& q) {
    q.filter.recipients = {"@gmail.com"};
    random_to(q);
  });
  page("page: exact recipient",
       [&](auto& q) { q.filter.recipients = {recipients[rng() % recipients.size()]}; });
  page("page: machine=exclude, type=open", [&](auto& q) {
    q.filter.types = {sesami::event_type::open};
    q.filter.machine = sesami::machine_filter::exclude;
    random_to(q);
  });
  page("page: tag campaign=win-back (event_tags; 2.8 % of events)", [&](auto& q) {
    q.filter.tags = {{"campaign", "win-back"}};
    random_to(q);
  });
  page(
      "page: tag ses:configuration-set (JSON1 scan)",
      [&](auto& q) {
        q.filter.tags = {{"ses:configuration-set", "transactional"}};
        random_to(q);
      },
      20);
  page("page: status=bounced", [&](auto& q) {
    q.filter.statuses = {sesami::delivery_status::bounced};
    random_to(q);
  });
  page("page: status=complained", [&](auto& q) {
    q.filter.statuses = {sesami::delivery_status::complained};
    random_to(q);
  });
  page("page: status=bounced,complained", [&](auto& q) {
    q.filter.statuses = {sesami::delivery_status::bounced, sesami::delivery_status::complained};
    random_to(q);
  });
  page("page: status=delivered (most pairs)", [&](auto& q) {
    q.filter.statuses = {sesami::delivery_status::delivered};
    random_to(q);
  });
  page("page: status=bounced, type=send", [&](auto& q) {
    q.filter.statuses = {sesami::delivery_status::bounced};
    q.filter.types = {sesami::event_type::send};
    random_to(q);
  });
  page("page: 7-day window, type=click", [&](auto& q) {
    random_to(q);
    q.filter.from = *q.filter.to - 7 * day;
    q.filter.types = {sesami::event_type::click};
  });
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t import_n = 300'000, query_n = 1'000'000;
  std::string dir = "/tmp/sesami-store-bench";
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--import" && i + 1 < argc)
      import_n = std::stoul(argv[++i]);
    else if (a == "--events" && i + 1 < argc)
      query_n = std::stoul(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--keep")
      keep = true;  // reuse the query database of a previous run
    else {
      std::fprintf(stderr, "usage: store_bench [--import N] [--events M] [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress visible when redirected to a file
  std::filesystem::create_directories(dir);
  utsname u{};
  ::uname(&u);
  std::printf("store_bench on %s %s, %ld CPUs, SQLite %s\n", u.nodename, u.machine,
              ::sysconf(_SC_NPROCESSORS_ONLN), sqlite3_libversion());
  if (import_n) bench_import(dir, import_n);
  if (query_n) bench_queries(dir, query_n, keep);
  return 0;
}

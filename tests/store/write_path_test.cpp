// The write path and its second rollup level (SQLite migration 9, PostgreSQL 4), on both backends:
// recipient-less opens and clicks counted per message, the daily link / domain / status rollups
// equal to the hourly ones for any range; SQLite's migration 9 backfill, and `import_stream` on
// inputs of every shape and size.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <random>

#include <boost/json.hpp>
#include <sesami/demo.hpp>
#include <sesami/parse.hpp>

#include "app/import.hpp"
#include "helpers.hpp"
#include "store/accounts.hpp"
#include "store/sqlite/migrations.hpp"

using namespace store_test;
using sesami::event_type;

namespace {
void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  if (rc != SQLITE_OK) FAIL(msg);
}

std::int64_t unique_in(const std::vector<sesami::store::rollup_row>& rows, std::int64_t h,
                       event_type t) {
  for (const auto& r : rows)
    if (r.hour == h && r.type == t) return r.unique;
  return 0;
}

// Writes `text` to a file and imports it with import_stream.
struct imported {
  sesami::store::status status;
  std::size_t stored = 0, read = 0;
  std::vector<sesami::app::rejected_item> rejected;
};
imported import_file(sesami::store::store& s, const std::string& path, const std::string& text,
                     const sesami::app::stream_options& o) {
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(std::fwrite(text.data(), 1, text.size(), f) == text.size());
    std::fclose(f);
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f);
  sesami::app::importer im(s, "default", 500);
  imported out;
  std::size_t bytes = 0;
  out.status = sesami::app::import_stream(f, path, im, o, [&](std::size_t n) { bytes += n; });
  std::fclose(f);
  if (out.status) out.status = im.flush();
  CHECK(bytes == text.size());  // progress accounts for every byte, skipped ones too
  out.stored = im.summary().stored;
  out.read = im.read();
  out.rejected = im.rejected();
  return out;
}

// One demo payload (an SES event as SNS / EventBridge / classic JSON) re-written pretty-printed,
// one member per line, with `pad` bytes of extra members (unknown members are ignored).
std::string pretty_payload(std::size_t pad) {
  sesami::demo::options o;
  o.events = 20;
  o.seed = 5;
  sesami::demo::generator g(o);
  std::string p;
  REQUIRE(g.next(p));
  const auto v = boost::json::parse(p);
  std::string out = "{\n";
  for (const auto& kv : v.as_object())
    out += "  " + boost::json::serialize(boost::json::string(kv.key())) + ": " +
           boost::json::serialize(kv.value()) + ",\n";
  out += "  \"padding\": [\n";
  const std::string line = "    \"" + std::string(90, 'x') + "\",\n";
  for (std::size_t n = 0; n < pad; n += line.size()) out += line;
  out += "    \"{[\\\"}\"\n  ]\n}\n";  // brackets and quotes inside a string do not count
  return out;
}
}  // namespace

TEST_CASE("recipient-less opens and clicks count once per message, in the hour of the first",
          "[store][rollups]") {
  temp_dir dir;
  const auto path = dir.file("norcpt.db");
  auto s = open(path);
  auto no_rcpt = [](std::string msg, event_type t, std::int64_t ts) {
    auto e = make_event(std::move(msg), t, "", ts);
    e.recipient.reset();
    return e;
  };
  ingest(*s, {no_rcpt("m1", event_type::open, t0 + 5 * hour),
              make_event("m1", event_type::open, "a@x.com", t0 + 3 * hour),
              no_rcpt("m2", event_type::click, t0 + 1 * hour),
              no_rcpt("m2", event_type::click, t0 + 4 * hour)});
  auto rows = s->rollups("default", t0, t0 + 10 * hour);
  REQUIRE(rows);
  CHECK(unique_in(*rows, t0 + 5 * hour, event_type::open) == 1);  // (m1, '')
  CHECK(unique_in(*rows, t0 + 3 * hour, event_type::open) == 1);  // (m1, a@x.com)
  CHECK(unique_in(*rows, t0 + 1 * hour, event_type::click) == 1);
  CHECK(unique_in(*rows, t0 + 4 * hour, event_type::click) == 0);

  // An earlier recipient-less open arriving late moves the message's unique open to its hour.
  ingest(*s, {no_rcpt("m1", event_type::open, t0 + 2 * hour)});
  rows = s->rollups("default", t0, t0 + 10 * hour);
  REQUIRE(rows);
  CHECK(unique_in(*rows, t0 + 2 * hour, event_type::open) == 1);
  CHECK(unique_in(*rows, t0 + 5 * hour, event_type::open) == 0);
  CHECK(unique_in(*rows, t0 + 3 * hour, event_type::open) == 1);
  // The pair (m1, '') has a status like any pair; a named recipient's history is unaffected.
  CHECK(sql_int(path,
                "SELECT status FROM recipient_status WHERE message_id = 'm1' AND "
                "recipient = ''") == static_cast<int>(sesami::delivery_status::opened));
  auto h = s->recipient("default", "a@x.com");
  REQUIRE(h);
  CHECK(h->events.size() == 1);
}

TEST_CASE("daily rollups give the hourly sums for any range", "[store][rollups]") {
  temp_dir dir;
  const auto path = dir.file("daily.db");
  auto s = open(path);
  const auto events = demo_events(6000, 21, 20);
  for (std::size_t i = 0; i < events.size(); i += 900)
    ingest(*s, std::vector<sesami::event>(
                   events.begin() + static_cast<std::ptrdiff_t>(i),
                   events.begin() + static_cast<std::ptrdiff_t>(std::min(i + 900, events.size()))));
  // The daily tables hold the hourly tables summed by day, row for row.
  for (const char* sql :
       {"SELECT count(*) FROM (SELECT workspace, hour / 24, link, sum(clicks), sum(human), "
        "sum(uniq) FROM link_rollups GROUP BY 1, 2, 3 EXCEPT SELECT workspace, day, link, clicks, "
        "human, uniq FROM link_rollups_daily) AS x",
        "SELECT count(*) FROM (SELECT workspace, hour / 24, domain, sum(bounces), sum(hard) FROM "
        "domain_rollups GROUP BY 1, 2, 3 EXCEPT SELECT workspace, day, domain, bounces, hard FROM "
        "domain_rollups_daily) AS x",
        "SELECT count(*) FROM (SELECT workspace, hour / 24, status, sum(n) FROM status_rollups "
        "GROUP BY 1, 2, 3 HAVING sum(n) != 0 EXCEPT SELECT workspace, day, status, n FROM "
        "status_rollups_daily WHERE n != 0) AS x",
        "SELECT count(*) FROM (SELECT workspace, hour / 24, type, sum(count), sum(machine), "
        "sum(uniq), sum(uniq_human), sum(hard), sum(soft), sum(suppressed), sum(undetermined), "
        "sum(sim_count), sum(sim_uniq_human), sum(sim_hard) FROM rollups GROUP BY 1, 2, 3 EXCEPT "
        "SELECT workspace, day, type, count, machine, uniq, uniq_human, hard, soft, suppressed, "
        "undetermined, sim_count, sim_uniq_human, sim_hard FROM rollups_daily) AS x"})
    CHECK(sql_int(path, sql) == 0);
  CHECK(sql_int(path, "SELECT count(*) FROM link_rollups_daily") > 0);
  CHECK(sql_int(path, "SELECT count(*) FROM rollups_daily") > 0);
  CHECK(sql_int(path, "SELECT count(*) FROM rollups_daily") <
        sql_int(path, "SELECT count(*) FROM rollups"));

  std::int64_t lo = events.front().timestamp, hi = lo;
  for (const auto& e : events) lo = std::min(lo, e.timestamp), hi = std::max(hi, e.timestamp);
  std::mt19937_64 rng(4);
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges = {
      {lo, hi + 1},  // everything
      {lo / (24 * hour) * 24 * hour + 24 * hour, lo / (24 * hour) * 24 * hour + 72 * hour},  // days
      {lo + 3 * hour + 17, lo + 9 * hour}};  // inside one day
  for (int i = 0; i < 40; ++i) {
    auto a = lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo));
    auto b = lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo));
    if (a > b) std::swap(a, b);
    ranges.emplace_back(a, b + 1);
  }
  for (const auto& [from, to] : ranges) {
    INFO("range [" << from << ", " << to << ")");
    const std::string hours = "hour >= " + std::to_string(from / hour) + " AND hour < " +
                              std::to_string((to - 1) / hour + 1);
    auto links = s->top_links("default", from, to, 1000);
    REQUIRE(links);
    CHECK(static_cast<std::int64_t>(links->size()) ==
          sql_int(path, "SELECT count(*) FROM (SELECT link FROM link_rollups WHERE " + hours +
                            " GROUP BY link HAVING sum(clicks) > 0) AS x"));
    for (const auto& l : *links) {
      const std::string where =
          " FROM link_rollups WHERE " + hours + " AND link = '" + l.link + "'";
      CHECK(l.clicks == sql_int(path, "SELECT sum(clicks)" + where));
      CHECK(l.human == sql_int(path, "SELECT sum(human)" + where));
      CHECK(l.unique == sql_int(path, "SELECT sum(uniq)" + where));
    }
    auto domains = s->top_bouncing_domains("default", from, to, 1000);
    REQUIRE(domains);
    CHECK(static_cast<std::int64_t>(domains->size()) ==
          sql_int(path, "SELECT count(*) FROM (SELECT domain FROM domain_rollups WHERE " + hours +
                            " GROUP BY domain HAVING sum(bounces) > 0) AS x"));
    for (const auto& d : *domains) {
      const std::string where =
          " FROM domain_rollups WHERE " + hours + " AND domain = '" + d.domain + "'";
      CHECK(d.bounces == sql_int(path, "SELECT sum(bounces)" + where));
      CHECK(d.hard == sql_int(path, "SELECT sum(hard)" + where));
    }
    // rollups_by_day: whole days as one row per type, edge days by the hour; summed per UTC day
    // and type, the same counters as the hours of the range.
    using day_type = std::pair<std::int64_t, sesami::event_type>;
    auto by_day = [](const std::vector<sesami::store::rollup_row>& rows) {
      std::map<day_type, std::array<std::int64_t, 11>> sums;
      for (const auto& r : rows) {
        auto& a = sums[{r.hour / (24 * hour), r.type}];
        const std::int64_t v[] = {
            r.count,      r.machine,      r.unique,    r.unique_human,     r.hard,    r.soft,
            r.suppressed, r.undetermined, r.sim_count, r.sim_unique_human, r.sim_hard};
        for (std::size_t i = 0; i < a.size(); ++i) a[i] += v[i];
      }
      return sums;
    };
    auto hourly = s->rollups("default", from, to);
    auto daily = s->rollups_by_day("default", from, to);
    REQUIRE(hourly);
    REQUIRE(daily);
    CHECK(by_day(*daily) == by_day(*hourly));
    CHECK(daily->size() <= hourly->size());
    CHECK(std::is_sorted(daily->begin(), daily->end(), [](const auto& a, const auto& b) {
      return std::pair(a.hour, a.type) < std::pair(b.hour, b.type);
    }));
    auto statuses = s->status_counts("default", from, to);
    REQUIRE(statuses);
    CHECK(static_cast<std::int64_t>(statuses->size()) ==
          sql_int(path, "SELECT count(*) FROM (SELECT status FROM status_rollups WHERE " + hours +
                            " GROUP BY status HAVING sum(n) != 0) AS x"));
    for (const auto& [st, n] : *statuses)
      CHECK(n == sql_int(path, "SELECT sum(n) FROM status_rollups WHERE " + hours +
                                   " AND status = " + std::to_string(static_cast<int>(st))));
  }
}

TEST_CASE("migration 9 builds the daily rollups from the hourly ones", "[sqlite][migrations]") {
  using sesami::store::sqlite::migrations;
  temp_dir dir;
  const auto path = dir.file("m9.db");
  std::string sql;
  for (const auto& m : migrations)
    if (m.version < 9) sql += std::string(m.sql);
  const std::int64_t h = t0 / hour;  // a day boundary
  exec_sql(path,
           sql +
               "PRAGMA user_version = 8;"
               "INSERT INTO workspaces VALUES ('default', 'default', 0, 0);"
               "INSERT INTO link_rollups VALUES ('default', " +
               std::to_string(h + 1) + ", 'l', 3, 2, 1), ('default', " + std::to_string(h + 23) +
               ", 'l', 4, 4, 2), ('default', " + std::to_string(h + 24) +
               ", 'l', 5, 0, 0);"
               "INSERT INTO domain_rollups VALUES ('default', " +
               std::to_string(h + 2) + ", 'x.com', 2, 1), ('default', " + std::to_string(h + 30) +
               ", 'x.com', 1, 1);"
               "INSERT INTO status_rollups VALUES ('default', " +
               std::to_string(h) + ", 5, 7), ('default', " + std::to_string(h + 47) + ", 5, 1);" +
               "CREATE INDEX IF NOT EXISTS event_tags_seq ON event_tags (seq);");
  auto s = open(path);
  CHECK(sql_int(path, "PRAGMA user_version") >= 9);
  CHECK(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'event_tags_seq'") == 0);
  CHECK(sql_int(path, "SELECT clicks FROM link_rollups_daily WHERE day = " +
                          std::to_string(h / 24)) == 7);
  CHECK(sql_int(path,
                "SELECT uniq FROM link_rollups_daily WHERE day = " + std::to_string(h / 24)) == 3);
  CHECK(sql_int(path, "SELECT n FROM status_rollups_daily WHERE day = " +
                          std::to_string(h / 24 + 1)) == 1);
  // Through the store: two whole days and a partial one read the same as the hours.
  auto links = s->top_links("default", t0, t0 + 49 * hour, 10);
  REQUIRE(links);
  REQUIRE(links->size() == 1);
  CHECK((*links)[0] == sesami::store::link_rollup{"l", 12, 6, 3});
  links = s->top_links("default", t0 + 2 * hour, t0 + 24 * hour, 10);
  REQUIRE(links);
  REQUIRE(links->size() == 1);
  CHECK((*links)[0] == sesami::store::link_rollup{"l", 4, 4, 2});
  auto domains = s->top_bouncing_domains("default", t0, t0 + 48 * hour, 10);
  REQUIRE(domains);
  REQUIRE(domains->size() == 1);
  CHECK((*domains)[0] == sesami::store::domain_rollup{"x.com", 3, 2});
  auto statuses = s->status_counts("default", t0 + hour, t0 + 48 * hour);
  REQUIRE(statuses);
  REQUIRE(statuses->size() == 1);
  CHECK((*statuses)[0].second == 1);
}

TEST_CASE("migration 12 builds the daily per-type counters from the hourly ones",
          "[sqlite][migrations]") {
  using sesami::store::sqlite::migrations;
  temp_dir dir;
  const auto path = dir.file("m12.db");
  std::string sql;
  for (const auto& m : migrations)
    if (m.version < 12) sql += std::string(m.sql);
  const std::int64_t h = t0 / hour;  // a day boundary
  const auto row = [&](std::int64_t hr, int type, int count, int hard, int sim) {
    return "('default', " + std::to_string(hr) + ", " + std::to_string(type) + ", " +
           std::to_string(count) + ", 0, 1, 1, " + std::to_string(hard) + ", 0, 0, 0, " +
           std::to_string(sim) + ", 0, 0)";
  };
  exec_sql(path, sql +
                     "PRAGMA user_version = 11;"
                     "INSERT INTO workspaces VALUES ('default', 'default', 0, 0);"
                     "INSERT INTO rollups (workspace, hour, type, count, machine, uniq, "
                     "uniq_human, hard, soft, suppressed, undetermined, sim_count, "
                     "sim_uniq_human, sim_hard) VALUES " +
                     row(h + 1, 2, 3, 2, 1) + ", " + row(h + 23, 2, 4, 4, 0) + ", " +
                     row(h + 24, 2, 5, 0, 0) + ", " + row(h + 5, 1, 10, 0, 2) + ";");
  auto s = open(path);
  CHECK(sql_int(path, "PRAGMA user_version") >= 12);
  const std::string day0 = " WHERE day = " + std::to_string(h / 24);
  CHECK(sql_int(path, "SELECT count FROM rollups_daily" + day0 + " AND type = 2") == 7);
  CHECK(sql_int(path, "SELECT hard FROM rollups_daily" + day0 + " AND type = 2") == 6);
  CHECK(sql_int(path, "SELECT uniq FROM rollups_daily" + day0 + " AND type = 2") == 2);
  CHECK(sql_int(path, "SELECT sim_count FROM rollups_daily" + day0 + " AND type = 1") == 2);
  CHECK(sql_int(path, "SELECT count(*) FROM rollups_daily") == 3);
  // Through the store: the first whole day as one row per type, the next day's hours as they are.
  auto rows = s->rollups_by_day("default", t0, t0 + 30 * hour);
  REQUIRE(rows);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0].hour == t0);
  CHECK((*rows)[0].count == 10);
  CHECK((*rows)[1].hour == t0);
  CHECK((*rows)[1].count == 7);
  CHECK((*rows)[2].hour == t0 + 24 * hour);
  CHECK((*rows)[2].count == 5);
  // Written on ingest too: a new bounce in the first day adds to its daily row.
  ingest(*s, {make_event("m-new", event_type::bounce, "b@x.com", t0 + 2 * hour)});
  CHECK(sql_int(path, "SELECT count FROM rollups_daily" + day0 + " AND type = 2") == 8);
}

TEST_CASE("import_stream reads pretty-printed documents whole, up to a bound", "[import]") {
  temp_dir dir;
  auto s = open(dir.file("stream.db"));

  SECTION("a pretty-printed document larger than the 4 MB pieces imports") {
    const std::string doc = pretty_payload(5u << 20);
    REQUIRE(doc.size() > (4u << 20));
    const auto r = import_file(*s, dir.file("big.json"), doc, {});
    REQUIRE(r.status);
    CHECK(r.rejected.empty());
    CHECK(r.stored == 1);
  }
  SECTION("past the bound it is rejected with its file and line, and nothing is stored") {
    sesami::app::stream_options o;
    o.max_document = 1u << 20;
    const std::string file = dir.file("too-big.json");
    const auto r = import_file(*s, file, "\n\n" + pretty_payload(2u << 20), o);
    REQUIRE(r.status);
    CHECK(r.stored == 0);
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].source == file);
    CHECK(r.rejected[0].line == 3);  // where the document starts
    CHECK(r.rejected[0].code == "sesami.too_large");
    CHECK(r.rejected[0].message.find("1 MB") != std::string::npos);
  }
  SECTION("JSON Lines are cut into pieces at line ends; a broken line is rejected alone") {
    sesami::demo::options d;
    d.events = 300;
    d.seed = 8;
    sesami::demo::generator g(d);
    std::string text, p;
    std::size_t lines = 0;
    while (g.next(p)) {
      text += p + "\n";
      if (++lines == 40) text += "{\"broken\": [\n";  // line 41
    }
    sesami::app::stream_options o;
    o.chunk_bytes = 4096;  // many pieces
    const auto r = import_file(*s, dir.file("lines.jsonl"), text, o);
    REQUIRE(r.status);
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].line == 41);
    CHECK(r.stored > 250);
  }
  SECTION("a single line past the bound is rejected and the next lines import") {
    sesami::app::stream_options o;
    o.max_document = 2u << 20;  // inputs are read in blocks of 1 MB
    o.chunk_bytes = 16u << 10;
    sesami::demo::options d;
    d.events = 20;
    sesami::demo::generator g(d);
    std::string first, rest, p;
    REQUIRE(g.next(first));
    while (g.next(p)) rest += p + "\n";
    const std::string text = first + "\n{\"x\": \"" + std::string(3u << 20, 'y') + "\"}\n" + rest;
    const auto r = import_file(*s, dir.file("long-line.jsonl"), text, o);
    REQUIRE(r.status);
    REQUIRE(r.rejected.size() == 1);
    CHECK(r.rejected[0].line == 2);
    // Everything else was read: the events of the other lines, plus the one rejected item.
    CHECK(r.read == sesami::parse_batch(first + "\n" + rest).events.size() + 1);
    CHECK(r.stored > 0);
  }
}

TEST_CASE("migration 15: a key made before scopes stays an admin bearer key without a pair",
          "[sqlite][migrations]") {
  using sesami::store::sqlite::migrations;
  temp_dir dir;
  const auto path = dir.file("m15.db");
  std::string sql;
  for (const auto& m : migrations)
    if (m.version < 15) sql += std::string(m.sql);
  exec_sql(path, sql +
                     "PRAGMA user_version = 14;"
                     "INSERT INTO workspaces VALUES ('default', 'default', 0, 0);"
                     "INSERT INTO api_keys (hash, id, workspace, role, name, created_at) VALUES "
                     "(x'00112233', 'key_old', 'default', 'owner', 'ci', 5);");
  auto s = open(path);
  CHECK(sql_int(path, "PRAGMA user_version") >= 15);
  auto acc = sesami::store::open_sqlite_accounts(path);
  REQUIRE(acc);
  auto k = (*acc)->api_key_by_hash(std::string("\x00\x11\x22\x33", 4));
  REQUIRE(k);
  REQUIRE(k->has_value());
  CHECK((*k)->scope == "admin");
  CHECK((*k)->role == "owner");
  CHECK((*k)->access_key_id.empty());
  CHECK((*k)->secret_sealed.empty());
  CHECK((*k)->expires_at == 0);
  CHECK((*k)->revoked_at == 0);
}

// `sesami export`, GET /events/export and `sesami import` of an export (issue #21): export →
// import into a new database gives the same answers, over the real CLI and real servers on
// loopback; CSV quoting; bad input in an export named by file and line.
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "../server/support.hpp"
#include "ops.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
using headers = std::vector<std::pair<std::string, std::string>>;
headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

std::string create_workspace(const fs::path& db, const std::string& name) {
  auto r = run_sesami({"workspace", "create", name, "--db", db.string(), "--json"});
  REQUIRE(r.status == 0);
  return s(json::parse(r.out).at("apiKey"));
}

std::string gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  char buf[65536];
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);  // the whole stream, trailer included
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Every event GET /events lists, paging through it: id → document.
std::map<std::string, std::string> all_events(http_client& c, const std::string& key) {
  std::map<std::string, std::string> out;
  std::string cursor;
  for (int pages = 0; pages < 1000; ++pages) {
    auto r = c.request("GET", "/events?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor),
                       "", bearer(key));
    REQUIRE(r.status == 200);
    const auto v = parse(r);
    for (const auto& e : v.at("events").as_array()) out.emplace(s(e.at("id")), json::serialize(e));
    if (v.at("next").is_null()) break;
    cursor = s(v.at("next"));
  }
  return out;
}

std::string stats_query() {
  // Whole UTC days around the demo's data (it ends now): the same range for both servers.
  const auto now = std::chrono::system_clock::now();
  auto day = [](std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT00:00:00Z", &tm);
    return std::string(buf);
  };
  return "/stats?bucket=day&from=" + day(now - std::chrono::hours(24 * 60)) +
         "&to=" + day(now + std::chrono::hours(24));
}
}  // namespace

TEST_CASE("export: export then import into a new database gives the same answers", "[export]") {
  temp_dir a, b;
  const auto db_a = a.path / "sesami.db", db_b = b.path / "sesami.db";
  const std::string key_a = create_workspace(db_a, "acme");
  REQUIRE(run_sesami({"demo", "--db", db_a.string(), "-w", "acme", "--events", "3000"}).status ==
          0);
  const auto file = a.path / "acme.jsonl";
  auto exported = spawn_and_wait(
      {SESAMI_BIN, "export", "--db", db_a.string(), "-w", "acme", "-o", file.string()});
  INFO(exported.err);
  REQUIRE(exported.status == 0);
  struct stat sb {};
  REQUIRE(::stat(file.c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);  // addresses: owner-only
  const std::string text = read_file(file);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() > 2000);

  server_process srv_a(a.path);
  http_client ca(srv_a.port());
  SECTION("GET /events/export streams the same bytes, chunked, gzip when asked") {
    auto r = ca.request("GET", "/events/export", "",
                        {{"Authorization", "Bearer " + key_a}, {"Accept-Encoding", "gzip"}});
    REQUIRE(r.status == 200);
    CHECK(r.header("transfer-encoding") == "chunked");
    CHECK(r.header("content-encoding") == "gzip");
    CHECK(r.header("content-type") == "application/x-ndjson");
    CHECK(gunzip(r.body) == text);
    auto plain = ca.request("GET", "/events/export", "", bearer(key_a));
    REQUIRE(plain.status == 200);
    CHECK(plain.header("content-encoding").empty());
    CHECK(plain.body == text);
    // The connection stays usable after a streamed answer (keep-alive, last chunk sent).
    CHECK(ca.request("GET", "/events?limit=1", "", bearer(key_a)).status == 200);
    // HTTP/1.0 has no chunked encoding: the body runs until the server closes.
    http_client old(srv_a.port());
    const std::string raw =
        old.raw("GET /events/export HTTP/1.0\r\nAuthorization: Bearer " + key_a + "\r\n\r\n");
    const auto split = raw.find("\r\n\r\n");
    REQUIRE(split != std::string::npos);
    CHECK(raw.rfind("HTTP/1.0 200", 0) == 0);
    CHECK(raw.substr(0, split).find("chunked") == std::string::npos);
    CHECK(raw.substr(split + 4) == text);
    // A filter narrows it like GET /events; a range too.
    auto bounces = ca.request("GET", "/events/export?type=bounce", "", bearer(key_a));
    REQUIRE(bounces.status == 200);
    const auto bl = lines_of(bounces.body);
    CHECK(bl.size() == static_cast<std::size_t>(
                           std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
                             return l.find("\"type\":\"bounce\"") != std::string::npos;
                           })));
    CHECK(ca.request("GET", "/events/export?format=xml", "", bearer(key_a)).status == 400);
    CHECK(code_of(ca.request("GET", "/events/export?typo=1", "", bearer(key_a))) ==
          "sesami.bad_filter");
    CHECK(ca.request("GET", "/events/export").status == 401);
  }
  SECTION("import of the export: the same events, statuses and stats") {
    const std::string key_b = create_workspace(db_b, "acme");
    auto imported = spawn_and_wait(
        {SESAMI_BIN, "import", "--db", db_b.string(), "-w", "acme", "--json", file.string()});
    INFO(imported.err);
    REQUIRE(imported.status == 0);
    CHECK(json::parse(imported.out).at("stored").to_number<std::int64_t>() ==
          static_cast<std::int64_t>(lines.size()));
    server_process srv_b(b.path);
    http_client cb(srv_b.port());
    const auto ev_a = all_events(ca, key_a), ev_b = all_events(cb, key_b);
    CHECK(ev_a.size() == lines.size());
    CHECK(ev_a == ev_b);  // same ids, same documents
    const auto q = stats_query();
    auto st_a = ca.request("GET", q, "", bearer(key_a)),
         st_b = cb.request("GET", q, "", bearer(key_b));
    REQUIRE(st_a.status == 200);
    CHECK(st_a.body == st_b.body);
    // Per-recipient statuses (the rollups' inputs), for a sample of recipients.
    std::set<std::string> recipients;
    for (const auto& [id, doc] : ev_a) {
      const auto v = json::parse(doc);
      if (v.at("recipient").is_string()) recipients.insert(s(v.at("recipient")));
      if (recipients.size() == 40) break;
    }
    for (const auto& r : recipients) {
      auto ha = ca.request("GET", "/recipients/" + r, "", bearer(key_a));
      auto hb = cb.request("GET", "/recipients/" + r, "", bearer(key_b));
      REQUIRE(ha.status == 200);
      CHECK(parse(ha).at("messages") == parse(hb).at("messages"));
    }
    for (const char* st : {"bounced", "complained", "clicked", "delivered"}) {
      auto la = ca.request("GET", std::string("/events/export?status=") + st, "", bearer(key_a));
      auto lb = cb.request("GET", std::string("/events/export?status=") + st, "", bearer(key_b));
      const auto sa = lines_of(la.body), sb2 = lines_of(lb.body);
      CHECK(std::set<std::string>(sa.begin(), sa.end()) ==
            std::set<std::string>(sb2.begin(), sb2.end()));
    }
    // Importing the export again stores nothing twice.
    auto again =
        run_sesami({"import", "--db", db_b.string(), "-w", "acme", "--json", file.string()});
    CHECK(json::parse(again.out).at("stored") == 0);
  }
}

TEST_CASE("export: CSV has a header row and quoted, formula-safe cells", "[export]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const std::string key = create_workspace(db, "acme");
  // A normalized event written by hand: import reads SESami's own format back.
  const std::string line =
      R"({"messageId":"m-1","type":"bounce","recipient":"Ann@Example.com",)"
      R"("timestamp":"2026-01-02T03:04:05.000Z","sender":"=cmd|' /C calc'!A0",)"
      R"("subject":"Hello, \"world\"\nbye","tags":{"campaign":["spring"]},)"
      R"("bounce":{"type":"Permanent","subType":"General","class":"hard",)"
      R"("diagnosticCode":"smtp; 550 5.1.1 unknown"}})";
  write_file(
      dir.path / "one.jsonl",
      line + "\n{\"type\":\"nope\",\"messageId\":\"m\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\n");
  auto imp = spawn_and_wait(
      {SESAMI_BIN, "import", "--db", db.string(), "-w", "acme", (dir.path / "one.jsonl").string()});
  CHECK(imp.status == 1);  // one line rejected, named by file and line
  CHECK(imp.err.find("one.jsonl:2:") != std::string::npos);
  CHECK(imp.err.find("nope") != std::string::npos);
  auto csv =
      spawn_and_wait({SESAMI_BIN, "export", "--db", db.string(), "-w", "acme", "--format", "csv"});
  REQUIRE(csv.status == 0);
  CHECK(
      csv.out.rfind("id,timestamp,type,recipient,messageId,subject,sender,configurationSet,machine,"
                    "bounceClass,bounceType,bounceSubType,diagnosticCode,link,tags\r\n",
                    0) == 0);
  CHECK(csv.out.find(",bounce,ann@example.com,m-1,\"Hello, \"\"world\"\"\nbye\",'=cmd|' /C "
                     "calc'!A0,,false,hard,Permanent,General,smtp; 550 5.1.1 unknown,,"
                     "campaign=spring\r\n") != std::string::npos);
  server_process srv(dir.path);
  http_client c(srv.port());
  auto r = c.request("GET", "/events/export?format=csv", "", bearer(key));
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/csv; charset=utf-8");
  CHECK(r.body == csv.out);
  // No events at all: still the header row.
  auto none = c.request("GET", "/events/export?format=csv&type=click", "", bearer(key));
  CHECK(lines_of(none.body).size() == 1);
  // A bad option is a usage error, and -o leaves nothing half-written behind.
  auto bad = spawn_and_wait({SESAMI_BIN, "export", "--db", db.string(), "-w", "acme", "--from",
                             "yesterday", "-o", (dir.path / "x.jsonl").string()});
  CHECK(bad.status == 2);
  CHECK_FALSE(fs::exists(dir.path / "x.jsonl"));
}

TEST_CASE("export: the ingestion routes do not take SESami's normalized events", "[export]") {
  // Only the operator's `sesami import` reads an export back. Over the internet a normalized
  // event would let a token holder state SESami's own verdicts (a bounce's class, a machine open)
  // instead of SES's fields, so /ingest/* answer it as an unknown shape and store nothing.
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  auto made = run_sesami({"workspace", "create", "acme", "--db", db.string(), "--json"});
  REQUIRE(made.status == 0);
  const auto o = json::parse(made.out);
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
              .status == 0);
  server_process srv(dir.path);
  http_client c(srv.port());
  const std::string forged =
      R"({"account":"123456789012","messageId":"m-1","type":"bounce","recipient":"a@example.com",)"
      R"("timestamp":"2026-01-02T03:04:05.000Z","bounce":{"type":"Transient","class":"hard"}})";
  auto r = c.request("POST", "/ingest/eventbridge/" + s(o.at("ingestToken")), forged,
                     {{"X-Sesami-Secret", s(o.at("ingestSecret"))}});
  CHECK(r.status == 400);
  CHECK(code_of(r) == "sesami.unknown_shape");
  auto list = c.request("GET", "/events", "", bearer(s(o.at("apiKey"))));
  CHECK(parse(list).at("events").as_array().empty());
}

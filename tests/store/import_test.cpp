// The ingest story (app/import.hpp) on real files: demo payloads through the parser, truncated and
// corrupted inputs, the HTTP server's all-or-nothing payload ingest.
#include "app/import.hpp"

#include <sesami/demo.hpp>

#include "app/stats.hpp"
#include "helpers.hpp"

using namespace store_test;

namespace {
std::string demo_lines(std::size_t n, std::uint64_t seed) {
  sesami::demo::options o;
  o.events = n;
  o.seed = seed;
  o.days = 10;
  sesami::demo::generator g(o);
  std::string out, p;
  while (g.next(p)) out += p + "\n";
  return out;
}
}  // namespace

TEST_CASE("importing the same file three times stores it once", "[import]") {
  temp_dir dir;
  const auto path = dir.file("i.db");
  auto s = open(path);
  const std::string text = demo_lines(5000, 1);
  std::size_t stored = 0, read = 0;
  for (int round = 0; round < 3; ++round) {
    sesami::app::importer im(*s, "default", 1000);
    REQUIRE(im.add_text(text, "demo.jsonl"));
    REQUIRE(im.flush());
    CHECK(im.rejected().empty());
    if (round == 0) {
      stored = im.summary().stored;
      read = im.read();
      CHECK(im.summary().duplicates > 0);  // the demo delivers some payloads twice
    } else {
      CHECK(im.summary().stored == 0);
      CHECK(im.summary().duplicates == read);
    }
  }
  CHECK(sql_int(path, "SELECT count(*) FROM events") == static_cast<std::int64_t>(stored));
}

TEST_CASE("the demo generator is reproducible and realistic", "[import][demo]") {
  CHECK(demo_lines(3000, 5) == demo_lines(3000, 5));
  CHECK(demo_lines(3000, 5) != demo_lines(3000, 6));
  temp_dir dir;
  auto s = open(dir.file("d.db"));
  sesami::app::importer im(*s, "default");
  REQUIRE(im.add_text(demo_lines(15000, 2), "demo"));
  REQUIRE(im.flush());
  CHECK(im.rejected().empty());
  const auto stored = static_cast<double>(im.summary().stored);
  CHECK(stored > 13500);
  CHECK(stored < 16500);
  auto agg = sesami::app::stats(*s, "default", {});
  REQUIRE(agg);
  const double bounce = agg->bounce_rate().value().value();
  CHECK(bounce > 0.005);
  CHECK(bounce < 0.04);
  CHECK(agg->complaint_rate().value().value() < 0.002);
  CHECK(agg->opens.machine > 0);                      // Apple MPP, Gmail proxy
  CHECK(agg->clicks.machine > 0);                     // gateway scanners
  CHECK(agg->opens.human > agg->opens.unique_human);  // people open twice
  CHECK(agg->totals[static_cast<std::size_t>(sesami::event_type::delivery_delay)] > 0);
}

TEST_CASE("bad items are reported with their line and skipped", "[import][errors]") {
  temp_dir dir;
  auto s = open(dir.file("bad.db"));
  std::string good = demo_lines(30, 3);
  const auto first_nl = good.find('\n');
  const std::string line1 = good.substr(0, first_nl);
  // Line 2: truncated; line 3: not JSON; line 4: JSON but no SES shape; then the rest.
  std::string text = line1 + "\n" + line1.substr(0, line1.size() / 2) + "\n" + "hello\n" +
                     "{\"foo\":1}\n" + good.substr(first_nl + 1);
  sesami::app::importer im(*s, "default");
  REQUIRE(im.add_text(text, "mixed.jsonl"));
  REQUIRE(im.flush());
  REQUIRE(im.rejected().size() == 3);
  CHECK(im.rejected()[0].line == 2);
  CHECK(im.rejected()[0].code == "sesami.bad_json");
  CHECK(im.rejected()[1].line == 3);
  CHECK(im.rejected()[2].line == 4);
  CHECK(im.rejected()[2].source == "mixed.jsonl");
  CHECK(im.read() == im.summary().stored + im.summary().duplicates + im.rejected().size());

  SECTION("line numbers continue across chunks") {
    sesami::app::importer im2(*s, "default");
    REQUIRE(im2.add_text("hello\n", "big.jsonl", 1001));
    REQUIRE(im2.rejected().size() == 1);
    CHECK(im2.rejected()[0].line == 1001);
  }
}

TEST_CASE("a webhook payload is stored whole or not at all", "[import][payload]") {
  temp_dir dir;
  const auto path = dir.file("p.db");
  auto s = open(path);
  const std::string lines = demo_lines(50, 4);
  const std::string one = lines.substr(0, lines.find('\n'));
  auto ok = sesami::app::ingest_payload(*s, "default", one, t0);
  REQUIRE(ok);
  CHECK(ok->summary.stored >= 1);
  auto dup = sesami::app::ingest_payload(*s, "default", one, t0);
  REQUIRE(dup);
  CHECK(dup->summary.stored == 0);
  CHECK(dup->summary.duplicates == ok->summary.stored);

  const auto before = sql_int(path, "SELECT count(*) FROM events");
  auto bad = sesami::app::ingest_payload(*s, "default", lines + "{broken\n", t0);
  REQUIRE_FALSE(bad);
  CHECK_FALSE(bad.error().storage);
  CHECK(bad.error().id == "sesami.bad_json");
  CHECK(sql_int(path, "SELECT count(*) FROM events") == before);

  auto nowhere = sesami::app::ingest_payload(*s, "no-such-workspace", one, t0);
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().storage);
}

TEST_CASE("stats from rollups match the aggregation shape", "[import][stats]") {
  temp_dir dir;
  auto s = open(dir.file("st.db"));
  ingest(*s, {make_event("m1", sesami::event_type::send, "a@x.com", t0),
              make_event("m1", sesami::event_type::delivery, "a@x.com", t0 + 1000),
              make_event("m1", sesami::event_type::open, "a@x.com", t0 + 2 * hour, true),
              make_event("m1", sesami::event_type::open, "a@x.com", t0 + 3 * hour),
              make_event("m2", sesami::event_type::send, "b@x.com", t0 + 25 * hour),
              make_event("m2", sesami::event_type::bounce, "b@x.com", t0 + 25 * hour + 10)});
  sesami::app::stats_request req;
  req.from = t0;
  req.to = t0 + 48 * hour;
  req.bucket = sesami::bucket_kind::day;
  auto a = sesami::app::stats(*s, "default", req);
  REQUIRE(a);
  CHECK(a->bucket_starts == std::vector<std::int64_t>{t0, t0 + 24 * hour});
  CHECK(a->series[0] == std::vector<std::uint32_t>{1, 1});
  CHECK(a->opens.total == 2);
  CHECK(a->opens.machine == 1);
  CHECK(a->opens.unique == 1);
  CHECK(a->opens.unique_human == 1);
  CHECK(a->sent == 2);
  CHECK(a->hard_bounced == 1);
  CHECK(a->bounce_rate().ppm() == 500'000u);
  CHECK(a->machine_open_series == std::vector<std::uint32_t>{1, 0});
  req.from = t0 + 24 * hour;  // the second day only
  auto b = sesami::app::stats(*s, "default", req);
  REQUIRE(b);
  CHECK(b->events == 2);
  CHECK(b->opens.total == 0);
  req.offset_minutes = 30;
  CHECK_FALSE(sesami::app::stats(*s, "default", req));
}

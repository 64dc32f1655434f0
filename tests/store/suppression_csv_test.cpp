// Suppression CSV (app/suppression.hpp): RFC 4180 round trip through a real store, bad lines.
#include "app/suppression.hpp"

#include "helpers.hpp"

using namespace store_test;
using sesami::store::suppression_entry;
using sesami::store::suppression_source;

TEST_CASE("suppression CSV round-trips through the store", "[suppression][csv]") {
  temp_dir dir;
  auto s = open(dir.file("csv.db"));
  std::vector<suppression_entry> entries = {
      {"a@x.com", "hard_bounce", suppression_source::event, "0123456789abcdef0123456789abcdef", t0},
      {"b@x.com", "asked, by phone: \"stop\"", suppression_source::manual, "", t0 + 1000},
      {"c@x.com", "line\nbreak", suppression_source::ses_sync, "", t0 + 2000},
      {"d@x.com", "=HYPERLINK(\"evil\")", suppression_source::import, "", t0 + 3000},
  };
  REQUIRE(*s->add_suppressions("default", entries) == 4);
  auto page = s->list_suppressions("default", {});
  REQUIRE(page);
  const std::string csv = sesami::app::suppression_to_csv(page->entries);
  CHECK(csv.starts_with("address,reason,source,event_id,created_at\r\n"));
  CHECK(csv.find("\"asked, by phone: \"\"stop\"\"\"") != std::string::npos);
  // Never a live formula: the apostrophe makes a spreadsheet show the text (and import drops it).
  CHECK(csv.find("\"'=HYPERLINK(\"\"evil\"\")\"") != std::string::npos);

  auto back = sesami::app::suppression_from_csv(csv, 0);
  CHECK(back.problems.empty());
  REQUIRE(back.entries.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(back.entries[i].address == entries[i].address);
    CHECK(back.entries[i].reason == entries[i].reason);
    CHECK(back.entries[i].created_at == entries[i].created_at);
    CHECK(back.entries[i].source == suppression_source::import);  // importing is the source now
  }
  CHECK(back.entries[0].event_id == entries[0].event_id);

  temp_dir dir2;
  auto other = open(dir2.file("csv2.db"));
  REQUIRE(*other->add_suppressions("default", back.entries) == 4);
  auto again = other->list_suppressions("default", {});
  REQUIRE(again);
  auto twice =
      sesami::app::suppression_from_csv(sesami::app::suppression_to_csv(again->entries), 0);
  REQUIRE(twice.entries.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(twice.entries[i].address == entries[i].address);
    CHECK(twice.entries[i].reason == entries[i].reason);
    CHECK(twice.entries[i].created_at == entries[i].created_at);
  }
}

TEST_CASE("bad CSV lines are reported by line number and the rest imports", "[suppression][csv]") {
  const std::string text =
      "\xEF\xBB\xBF"
      "Address,Reason\n"           // 1 header (with a BOM)
      "ok1@x.com,spam trap\n"      // 2
      "not-an-address,x\n"         // 3 bad
      "\"multi@x.com\",\"two\n"    // 4 quoted field spanning lines 4-5
      "lines\"\n"                  // 5
      "a\"b@x.com\n"               // 6 bad: quote inside an unquoted field
      "\n"                         // 7 blank: skipped
      "UPPER@X.COM\r\n"            // 8 CRLF, lower-cased
      "t@x.com,r,s,e,yesterday\n"  // 9 bad timestamp
      "u@x.com,1,2,3,4,5\n"        // 10 too many fields
      "\"unterminated@x.com,\n";   // 11 bad
  auto r = sesami::app::suppression_from_csv(text, 42);
  std::vector<std::size_t> lines;
  for (auto& p : r.problems) lines.push_back(p.line);
  CHECK(lines == std::vector<std::size_t>{3, 6, 9, 10, 11});
  REQUIRE(r.entries.size() == 3);
  CHECK(r.entries[0].address == "ok1@x.com");
  CHECK(r.entries[0].reason == "spam trap");
  CHECK(r.entries[0].created_at == 42);
  CHECK(r.entries[1].reason == "two\nlines");
  CHECK(r.entries[2].address == "upper@x.com");
  CHECK(r.entries[2].reason == "imported");
}

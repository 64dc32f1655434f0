// A recipient's and a message's history are read a page at a time (store::history_query), on both
// backends: every status and every event exactly once across the pages, in the history's order,
// ties on the timestamp included; the recipient's overall status on every page; a cursor the
// store did not give out refused. Before, one request read a whole history, however long.
#include <set>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace store_test;
using sesami::event_type;

namespace {

struct recipient_pages {
  std::vector<sesami::store::recipient_status> messages;
  std::vector<sesami::store::stored_event> events;
  std::size_t pages = 0;
};

}  // namespace

TEST_CASE("histories are paginated", "[store][history]") {
  temp_dir dir;
  auto s = open(dir.file("h.db"));
  const std::string who = "r@x.com";
  std::vector<sesami::event> evs;
  // 250 messages to one recipient, two events each; every fifth pair shares its timestamps with
  // the previous one, so that pages must break ties by sequence and by message id.
  for (int i = 0; i < 250; ++i) {
    const std::int64_t t = t0 + (i - i % 5 / 4) * hour;
    const std::string msg = "msg-" + std::to_string(1000 + i);
    evs.push_back(make_event(msg, event_type::send, who, t));
    evs.push_back(make_event(msg, event_type::delivery, who, t + 1000));
  }
  evs.push_back(make_event("msg-1003", event_type::bounce, who, t0 + 300 * hour));
  // One message to 250 recipients.
  for (int i = 0; i < 250; ++i) {
    const std::string rcpt = "p" + std::to_string(1000 + i) + "@y.com";
    evs.push_back(make_event("big", event_type::send, rcpt, t0));
    evs.push_back(make_event("big", event_type::delivery, rcpt, t0 + (i % 3) * 1000));
  }
  ingest(*s, evs);

  SECTION("a recipient, 100 at a time") {
    recipient_pages all;
    sesami::store::history_query q;
    for (;;) {
      auto h = s->recipient("default", who, q);
      REQUIRE(h);
      ++all.pages;
      CHECK(h->messages.size() <= 100);
      CHECK(h->events.size() <= 100);
      // The overall status is over every message, not the page's.
      REQUIRE(h->status);
      CHECK(*h->status == sesami::delivery_status::bounced);
      all.messages.insert(all.messages.end(), h->messages.begin(), h->messages.end());
      all.events.insert(all.events.end(), h->events.begin(), h->events.end());
      if (!h->next) break;
      q.cursor = *h->next;
      REQUIRE(all.pages < 10);
    }
    CHECK(all.pages == 6);  // 501 events
    CHECK(all.messages.size() == 250);
    CHECK(all.events.size() == 501);
    std::set<std::string> msgs, ids;
    for (const auto& m : all.messages) msgs.insert(m.message_id);
    for (const auto& e : all.events) ids.insert(e.id);
    CHECK(msgs.size() == 250);
    CHECK(ids.size() == 501);
    for (std::size_t i = 1; i < all.events.size(); ++i) {
      const auto &a = all.events[i - 1], &b = all.events[i];
      CHECK((a.timestamp > b.timestamp || (a.timestamp == b.timestamp && a.seq > b.seq)));
    }
    for (std::size_t i = 1; i < all.messages.size(); ++i) {
      const auto &a = all.messages[i - 1], &b = all.messages[i];
      CHECK((a.last_seen > b.last_seen ||
             (a.last_seen == b.last_seen && a.message_id < b.message_id)));
    }
  }
  SECTION("the first page without a query: 100 of each and a cursor") {
    auto h = s->recipient("default", who);
    REQUIRE(h);
    CHECK(h->messages.size() == sesami::store::default_history_page);
    CHECK(h->events.size() == sesami::store::default_history_page);
    CHECK(h->next);
  }
  SECTION("a message, 7 at a time") {
    std::vector<sesami::store::recipient_status> rs;
    std::vector<sesami::store::stored_event> es;
    sesami::store::history_query q;
    q.limit = 7;
    std::size_t pages = 0;
    for (;;) {
      auto h = s->message("default", "big", q);
      REQUIRE(h);
      ++pages;
      CHECK(h->recipients.size() <= 7);
      CHECK(h->events.size() <= 7);
      rs.insert(rs.end(), h->recipients.begin(), h->recipients.end());
      es.insert(es.end(), h->events.begin(), h->events.end());
      if (!h->next) break;
      q.cursor = *h->next;
      REQUIRE(pages < 200);
    }
    CHECK(pages == 72);  // 500 events, 7 a page
    CHECK(rs.size() == 250);
    CHECK(es.size() == 500);
    std::set<std::string> ids;
    for (const auto& e : es) ids.insert(e.id);
    CHECK(ids.size() == 500);
    for (std::size_t i = 1; i < rs.size(); ++i) CHECK(rs[i - 1].recipient < rs[i].recipient);
    for (std::size_t i = 1; i < es.size(); ++i) {
      const auto &a = es[i - 1], &b = es[i];
      CHECK((a.timestamp < b.timestamp || (a.timestamp == b.timestamp && a.seq < b.seq)));
    }
  }
  SECTION("a short history is one page, and a cursor the store did not give out is refused") {
    auto h = s->message("default", "msg-1000");
    REQUIRE(h);
    CHECK(h->events.size() == 2);
    CHECK_FALSE(h->next);
    for (const char* bad : {"garbage", "h1~", "h1~v1.zz.1~x", "h1~x~1.abc", "v1.1.1"}) {
      sesami::store::history_query q;
      q.cursor = bad;
      INFO(bad);
      auto r = s->recipient("default", who, q);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == sesami::store::errc::bad_input);
      auto m = s->message("default", "big", q);
      REQUIRE_FALSE(m);
      CHECK(m.error().code == sesami::store::errc::bad_input);
    }
  }
}

// Status-filtered listings against a recount: an event is listed under `status=S` when its
// (message, recipient) pair's current status (max over the pair's events, delivery_status
// precedence) is in S; events of a pair with no status never are. Both backends (SQLite keeps a
// separate status_events table maintained on write, PostgreSQL a copy on each event), so the
// paths where the copy could lag the truth are exercised here: statuses raised by later
// transactions, out-of-order arrival, status-less events before and after their pair's first
// status, retention, and (SQLite) migration 11's backfill of an existing database.
#include <algorithm>
#include <random>
#include <set>

#include <sesami/categorize.hpp>

#include "helpers.hpp"
#include "store/sqlite/migrations.hpp"

using namespace store_test;
using sesami::delivery_status;
using sesami::event_type;

namespace {

using listing = std::vector<std::int64_t>;  // seqs, newest first

listing list_all(sesami::store::store& s, std::vector<delivery_status> st,
                 std::vector<event_type> types = {}, std::size_t page = 7) {
  listing out;
  sesami::store::event_query q;
  q.filter.statuses = std::move(st);
  q.filter.types = std::move(types);
  q.limit = page;
  for (;;) {
    auto p = s.list_events("default", q);
    REQUIRE(p);
    for (const auto& e : p->events) out.push_back(e.seq);
    if (!p->next) break;
    q.cursor = *p->next;
  }
  return out;
}

// The expected listing, recomputed from every stored event (an unfiltered listing).
listing recount(sesami::store::store& s, const std::set<delivery_status>& st,
                const std::set<event_type>& types = {}) {
  std::vector<sesami::store::stored_event> all;
  sesami::store::event_query q;
  q.limit = 1000;
  for (;;) {
    auto p = s.list_events("default", q);
    REQUIRE(p);
    all.insert(all.end(), p->events.begin(), p->events.end());
    if (!p->next) break;
    q.cursor = *p->next;
  }
  std::map<std::pair<std::string, std::string>, int> pair_status;  // absent: no status
  for (const auto& e : all)
    if (auto x = sesami::status_of(e.type)) {
      auto [it, fresh] = pair_status.emplace(std::pair{e.message_id, e.recipient}, int(*x));
      if (!fresh) it->second = std::max(it->second, int(*x));
    }
  listing out;
  for (const auto& e : all) {  // already newest first
    auto it = pair_status.find({e.message_id, e.recipient});
    if (it == pair_status.end() || !st.contains(delivery_status(it->second))) continue;
    if (!types.empty() && !types.contains(e.type)) continue;
    out.push_back(e.seq);
  }
  return out;
}

void check_every_status(sesami::store::store& s) {
  for (int i = 0; i < int(sesami::delivery_status_count); ++i) {
    const auto st = delivery_status(i);
    INFO("status " << sesami::to_string(st));
    CHECK(list_all(s, {st}) == recount(s, {st}));
  }
  using ds = delivery_status;
  CHECK(list_all(s, {ds::bounced, ds::delivered, ds::opened}) ==
        recount(s, {ds::bounced, ds::delivered, ds::opened}));
  CHECK(list_all(s, {ds::clicked}, {event_type::send, event_type::open}) ==
        recount(s, {ds::clicked}, {event_type::send, event_type::open}));
  CHECK(list_all(s, {ds::bounced}, {event_type::send}) ==
        recount(s, {ds::bounced}, {event_type::send}));
}

}  // namespace

TEST_CASE("status filters: events without a status follow their pair once it has one",
          "[store][query][status]") {
  temp_dir dir;
  auto s = open(dir.file("orphans.db"));
  using ds = delivery_status;
  // A subscription event before anything else of its pair: the pair has no status, so no status
  // listing shows it.
  ingest(*s, {make_event("m9", event_type::subscription, "a@x.com", t0 + 5),
              make_event("m8", event_type::send, "b@x.com", t0)});
  for (int i = 0; i < int(sesami::delivery_status_count); ++i)
    CHECK(list_all(*s, {delivery_status(i)}).size() == (i == int(ds::sent) ? 1u : 0u));
  // The pair's first status (a later transaction) brings it along; raising the status moves both.
  ingest(*s, {make_event("m9", event_type::send, "a@x.com", t0 + 1)});
  CHECK(list_all(*s, {ds::sent}).size() == 3);
  check_every_status(*s);
  ingest(*s, {make_event("m9", event_type::bounce, "a@x.com", t0 + 9)});
  CHECK(list_all(*s, {ds::bounced}).size() == 3);
  CHECK(list_all(*s, {ds::sent}).size() == 1);
  // A status-less event of a pair that has a status joins it at once.
  ingest(*s, {make_event("m8", event_type::subscription, "b@x.com", t0 + 20)});
  CHECK(list_all(*s, {ds::sent}).size() == 2);
  check_every_status(*s);
}

TEST_CASE("status-filtered listings equal a recount, in any arrival order",
          "[store][query][status]") {
  temp_dir dir;
  auto events = demo_events(3000, 11, 20);
  // Out of order and across many transactions: each status change of a pair must move the rows
  // the earlier transactions filed.
  std::mt19937_64 rng(5);
  std::shuffle(events.begin(), events.end(), rng);
  auto s = open(dir.file("shuffled.db"));
  for (std::size_t i = 0; i < events.size(); i += 97) {
    std::vector<sesami::event> part(events.begin() + long(i),
                                    events.begin() + long(std::min(events.size(), i + 97)));
    ingest(*s, part);
    if (i == 97 * 10) check_every_status(*s);  // midway, with pairs still moving
  }
  check_every_status(*s);

  // In order, in one transaction: the same listings (same events; seqs differ, so compare sizes
  // per status and the recount).
  auto in_order = events;
  std::sort(in_order.begin(), in_order.end(),
            [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });
  auto s2 = open(dir.file("ordered.db"));
  ingest(*s2, in_order);
  check_every_status(*s2);
  for (int i = 0; i < int(sesami::delivery_status_count); ++i)
    CHECK(list_all(*s, {delivery_status(i)}).size() == list_all(*s2, {delivery_status(i)}).size());
}

TEST_CASE("status listings after retention", "[store][query][status][retention]") {
  temp_dir dir;
  auto s = open(dir.file("retention.db"));
  const std::int64_t day = 24 * hour;
  const std::int64_t now = t0 + 100 * day;
  // Old events of pairs whose statuses change after the purge: the moved rows must not bring
  // the deleted events back, and the remaining events keep being listed.
  std::vector<sesami::event> old_ones, recent;
  for (int i = 0; i < 40; ++i) {
    const std::string m = "r" + std::to_string(i), r = "u" + std::to_string(i) + "@x.com";
    old_ones.push_back(make_event(m, event_type::send, r, t0 + i));
    recent.push_back(make_event(m, event_type::delivery, r, now - day + i));
  }
  ingest(*s, old_ones, "default", t0 + day);
  ingest(*s, recent, "default", now);
  REQUIRE(s->set_retention("default", 30));
  auto purged = s->apply_retention("default", now, 7);
  REQUIRE(purged);
  CHECK(*purged == 40);
  check_every_status(*s);
  CHECK(list_all(*s, {delivery_status::delivered}).size() == 40);
  std::vector<sesami::event> raise;
  for (int i = 0; i < 40; i += 2)
    raise.push_back(make_event("r" + std::to_string(i), event_type::bounce,
                               "u" + std::to_string(i) + "@x.com", now - hour));
  ingest(*s, raise, "default", now);
  CHECK(list_all(*s, {delivery_status::bounced}).size() == 40);  // 20 deliveries + 20 bounces
  CHECK(list_all(*s, {delivery_status::delivered}).size() == 20);
  check_every_status(*s);
}

TEST_CASE("migration 11 files an existing database's events under their pairs' statuses",
          "[sqlite][migrations][status]") {
  if (on_postgres()) return;  // SQLite's migration; PostgreSQL's runs in its own suite
  temp_dir dir;
  const auto path = dir.file("v10.db");
  auto events = demo_events(2000, 3, 10);
  std::mt19937_64 rng(8);
  std::shuffle(events.begin(), events.end(), rng);
  events.push_back(make_event("lonely", event_type::subscription, "o@x.com", t0));
  {
    auto s = open(path);
    ingest(*s, events);
  }
  // Back to schema 10: what a database written before migration 11 (and 12 to 15) looks like.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db,
                                "DROP TABLE status_events; DROP TABLE status_orphans; "
                                "ALTER TABLE recipient_status DROP COLUMN events; "
                                "DROP TABLE rollups_daily; DROP TABLE invitations; "
                                "ALTER TABLE memberships DROP COLUMN joined_at; "
                                "ALTER TABLE users DROP COLUMN must_change_password; "
                                "DROP TABLE webhook_endpoints; DROP TABLE webhook_deliveries; "
                                "DROP TABLE webhook_attempts; "
                                "DROP TABLE reputation_settings; DROP TABLE reputation_state; "
                                "DROP TABLE soft_bounces; DROP TABLE alerts; "
                                "DROP TABLE ingest_sources; DROP TABLE ingest_source_hours; "
                                "DROP INDEX mail_attempts_created; "
                                "DROP TABLE topics; DROP TABLE contacts; "
                                "DROP TABLE contact_topics; "
                                "DROP TABLE email_templates; "
                                "DROP INDEX ingest_tokens_previous; "
                                "ALTER TABLE ingest_tokens DROP COLUMN token_sealed; "
                                "ALTER TABLE ingest_tokens DROP COLUMN secret_sealed; "
                                "ALTER TABLE ingest_tokens DROP COLUMN previous_token_hash; "
                                "ALTER TABLE ingest_tokens DROP COLUMN previous_secret_hash; "
                                "DROP INDEX api_keys_access_key; "
                                "ALTER TABLE api_keys DROP COLUMN scope; "
                                "ALTER TABLE api_keys DROP COLUMN access_key_id; "
                                "ALTER TABLE api_keys DROP COLUMN secret_sealed; "
                                "ALTER TABLE api_keys DROP COLUMN expires_at; "
                                "ALTER TABLE api_keys DROP COLUMN last_used_at; "
                                "ALTER TABLE api_keys DROP COLUMN revoked_at; "
                                "PRAGMA user_version = 10;",
                                nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }
  auto s = open(path);
  CHECK(s->schema_version() == sesami::store::sqlite::latest_version);
  check_every_status(*s);
  CHECK(sql_int(path, "SELECT count(*) FROM status_orphans") == 1);
  // The backfilled lists are what later status changes move: raise every pair to complained.
  std::vector<sesami::event> complaints;
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& e : events) {  // a recipient-less event's pair is (message, '')
    const std::string r = e.recipient.value_or("");
    if (pairs.emplace(e.message_id, r).second)
      complaints.push_back(make_event(e.message_id, event_type::complaint, r, t0));
  }
  ingest(*s, complaints);
  check_every_status(*s);
  CHECK(list_all(*s, {delivery_status::sent, delivery_status::delivered, delivery_status::opened,
                      delivery_status::clicked, delivery_status::bounced})
            .empty());
}

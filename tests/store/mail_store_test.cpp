// The sending side's stores (mail_store.hpp, aws_connections.hpp, suppression_sync_store.hpp)
// through open.hpp's factories, on SQLite (store:*) and PostgreSQL (store:pg:*): idempotency keys,
// send attempts and their pages, the bulk queue's leases and exactly-once batch counting, the AWS
// connection row, the suppression sync's runs and baseline — every one scoped to its workspace.
// [postgres] only: two nodes (two store instances) claiming bulk jobs at once never share one,
// and an unreachable server is "unavailable" (HTTP 503).
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "helpers.hpp"
#include "store/open.hpp"

using namespace store_test;
using sesami::store::errc;

namespace {
/// The --db value for a test database path: the file itself, or its PostgreSQL schema's URL.
std::string db_of(const std::string& path) { return on_postgres() ? pg_url_for(path) : path; }

template <class T>
T must(sesami::store::result<T> r) {
  if (!r) FAIL("failed: " << r.error().message);
  return std::move(*r);
}

sesami::store::mail_attempt attempt(std::string id, std::string ws, std::int64_t at,
                                    std::string correlation = "") {
  sesami::store::mail_attempt a;
  a.id = std::move(id), a.workspace = std::move(ws), a.created_at = at;
  a.transport = "simulator", a.status = "queued", a.subject = "Hello";
  a.recipients = {"a@example.com", "b@example.com"};
  a.correlation_id = std::move(correlation);
  return a;
}

sesami::store::bulk_job job(std::string id, std::string ws, std::int64_t at, std::int64_t total) {
  sesami::store::bulk_job j;
  j.id = std::move(id), j.workspace = std::move(ws), j.status = "queued";
  j.request = R"({"from":"shop@example.com"})", j.total = total;
  j.created_at = at, j.updated_at = at;
  return j;
}
}  // namespace

TEST_CASE("mail store: server secret and Idempotency-Keys, per workspace", "[mail_store]") {
  temp_dir dir;
  const auto path = dir.file("m.db");
  auto s = open(path);
  auto m = must(sesami::store::open_mail(db_of(path)));

  // The first candidate is kept; a second process (another instance) gets the same key.
  CHECK(must(m->server_secret("first-secret")) == "first-secret");
  auto m2 = must(sesami::store::open_mail(db_of(path)));
  CHECK(must(m2->server_secret("second-secret")) == "first-secret");
  // Sealing an old plaintext secret: compare and swap, so of two processes only one replaces it.
  CHECK(must(m->replace_server_secret("first-secret", "sealed-a")));
  CHECK_FALSE(must(m2->replace_server_secret("first-secret", "sealed-b")));
  CHECK(must(m2->server_secret("third-secret")) == "sealed-a");

  CHECK(must(m->claim_idempotency("default", "k1", "hash-a", t0)));
  CHECK_FALSE(must(m2->claim_idempotency("default", "k1", "hash-b", t0 + 1)));
  CHECK(must(m->claim_idempotency("other", "k1", "hash-c", t0)));  // other workspace: free

  auto rec = must(m->find_idempotency("default", "k1"));
  REQUIRE(rec);
  CHECK(rec->request_hash == "hash-a");
  CHECK_FALSE(rec->done);
  CHECK(rec->created_at == t0);
  CHECK_FALSE(must(m->find_idempotency("default", "nope")));

  REQUIRE(m->finish_idempotency("default", "k1", "", R"({"messageId":"x"})"));
  rec = must(m->find_idempotency("default", "k1"));
  REQUIRE(rec);
  CHECK(rec->done);
  CHECK(rec->code.empty());
  CHECK(rec->response == R"({"messageId":"x"})");
  // A finished key is never released (its answer is what retries get).
  REQUIRE(m->release_idempotency("default", "k1"));
  CHECK(must(m->find_idempotency("default", "k1")));
  // A running one is, and only in its workspace.
  REQUIRE(m->release_idempotency("other", "k1"));
  CHECK_FALSE(must(m->find_idempotency("other", "k1")));
  CHECK(must(m->find_idempotency("default", "k1")));
  CHECK(must(m->claim_idempotency("other", "k1", "hash-d", t0 + 2)));
}

TEST_CASE("mail store: attempts are updated and listed newest first, page by page",
          "[mail_store]") {
  temp_dir dir;
  const auto path = dir.file("m.db");
  auto s = open(path);
  auto m = must(sesami::store::open_mail(db_of(path)));

  for (int i = 0; i < 7; ++i)
    REQUIRE(m->add_attempt(
        attempt("att_" + std::to_string(i), "default", t0 + i, i % 2 ? "odd" : "even")));
  REQUIRE(m->add_attempt(attempt("att_other", "other", t0)));
  REQUIRE_FALSE(m->add_attempt(attempt("att_0", "default", t0)));  // ids are unique

  auto a = attempt("att_3", "default", t0 + 3, "odd");
  a.status = "sent", a.message_id = "0100-msg", a.transport = "ses";
  a.recipients = {"c@example.com"};
  a.suppressed = {{"d@example.com", "hard-bounce"}, {"e@example.com", ""}};
  REQUIRE(m->update_attempt(a));
  // Scoped: the same id named under another workspace changes nothing.
  auto foreign = a;
  foreign.workspace = "other", foreign.status = "failed";
  REQUIRE(m->update_attempt(foreign));

  sesami::store::attempt_query q;
  q.limit = 3;
  std::vector<std::string> ids;
  for (int page = 0; page < 5; ++page) {
    auto p = must(m->list_attempts("default", q));
    for (auto& x : p.attempts) ids.push_back(x.id);
    if (!p.next) break;
    CHECK(p.attempts.size() == 3);
    q.cursor = *p.next;
  }
  CHECK(ids ==
        std::vector<std::string>{"att_6", "att_5", "att_4", "att_3", "att_2", "att_1", "att_0"});

  q = {};
  q.correlation_id = "odd";
  auto odd = must(m->list_attempts("default", q));
  REQUIRE(odd.attempts.size() == 3);
  CHECK_FALSE(odd.next);
  const auto& got = odd.attempts[1];
  CHECK(got.id == "att_3");
  CHECK(got.status == "sent");
  CHECK(got.transport == "ses");
  CHECK(got.message_id == "0100-msg");
  CHECK(got.recipients == std::vector<std::string>{"c@example.com"});
  CHECK(got.suppressed == a.suppressed);
  CHECK(got.subject == "Hello");
  CHECK(got.created_at == t0 + 3);

  auto other = must(m->list_attempts("other", {}));
  REQUIRE(other.attempts.size() == 1);
  CHECK(other.attempts[0].id == "att_other");
  CHECK(other.attempts[0].status == "queued");

  q = {};
  q.cursor = "12abc";
  auto bad = m->list_attempts("default", q);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::bad_input);
}

TEST_CASE("mail store: bulk jobs are leased, taken over when a lease expires, counted once",
          "[mail_store]") {
  temp_dir dir;
  const auto path = dir.file("m.db");
  auto s = open(path);
  auto m = must(sesami::store::open_mail(db_of(path)));

  REQUIRE(m->create_bulk(job("bulk_a", "default", t0, 3), {R"(["a"])", R"(["b"])", R"(["c"])"}));
  REQUIRE(m->create_bulk(job("bulk_b", "other", t0 + 10, 1), {R"(["d"])"}));
  REQUIRE_FALSE(m->create_bulk(job("bulk_a", "default", t0, 1), {"[]"}));  // nothing half-written

  CHECK_FALSE(must(m->find_bulk("other", "bulk_a")));  // scoped
  auto found = must(m->find_bulk("default", "bulk_a"));
  REQUIRE(found);
  CHECK(found->status == "queued");
  CHECK(found->total == 3);
  CHECK(found->request == R"({"from":"shop@example.com"})");

  // Oldest first; a held lease is not taken; an expired one is.
  const std::int64_t now = t0 + 1000;
  auto c1 = must(m->claim_bulk("node-1", now, 5000));
  REQUIRE(c1);
  CHECK(c1->id == "bulk_a");
  CHECK(c1->status == "running");
  auto c2 = must(m->claim_bulk("node-2", now, 5000));
  REQUIRE(c2);
  CHECK(c2->id == "bulk_b");
  CHECK_FALSE(must(m->claim_bulk("node-3", now + 4999, 5000)));
  CHECK(must(m->renew_bulk("bulk_a", "node-1", now + 4000, 5000)));  // until now + 9000
  CHECK_FALSE(must(m->renew_bulk("bulk_a", "node-2", now + 4000, 5000)));
  auto late = must(m->claim_bulk("node-3", now + 6000, 5000));  // bulk_b's lease expired
  REQUIRE(late);
  CHECK(late->id == "bulk_b");
  CHECK_FALSE(must(m->renew_bulk("bulk_b", "node-2", now + 6000, 5000)));  // node-2 lost it

  // Batches: in index order; pending → in flight → done, counted once.
  auto b = must(m->next_batch("bulk_a"));
  REQUIRE(b);
  CHECK(b->index == 0);
  CHECK(b->destinations == R"(["a"])");
  CHECK(b->state == sesami::store::batch_state::pending);
  REQUIRE(m->begin_batch("bulk_a", 0, now));
  auto again = m->begin_batch("bulk_a", 0, now);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::not_found);
  b = must(m->next_batch("bulk_a"));
  REQUIRE(b);
  CHECK(b->index == 0);
  CHECK(b->state == sesami::store::batch_state::in_flight);  // a crash here: resumed in flight

  auto at = attempt("att_bulk_0", "default", now);
  at.bulk_id = "bulk_a", at.status = "sent";
  REQUIRE(m->finish_batch("bulk_a", 0, 1, 0, 0, {at}, now + 1));
  REQUIRE(m->finish_batch("bulk_a", 0, 1, 0, 0, {at}, now + 2));  // a repeat: already counted
  b = must(m->next_batch("bulk_a"));
  REQUIRE(b);
  CHECK(b->index == 1);
  REQUIRE(m->finish_batch("bulk_a", 1, 0, 1, 0, {}, now + 3));
  REQUIRE(m->finish_batch("bulk_a", 2, 0, 0, 1, {}, now + 4));
  CHECK_FALSE(must(m->next_batch("bulk_a")));
  REQUIRE(m->finish_bulk("bulk_a", "done", now + 5));

  found = must(m->find_bulk("default", "bulk_a"));
  REQUIRE(found);
  CHECK(found->status == "done");
  CHECK(found->sent == 1);
  CHECK(found->failed == 1);
  CHECK(found->suppressed == 1);
  CHECK(found->updated_at == now + 5);
  CHECK_FALSE(must(m->renew_bulk("bulk_a", "node-1", now + 6, 5000)));  // done: no lease
  auto atts = must(m->list_attempts("default", {}));
  REQUIRE(atts.attempts.size() == 1);
  CHECK(atts.attempts[0].bulk_id == "bulk_a");
  // A done job is never claimed again, whatever the clock says.
  auto rest = must(m->claim_bulk("node-4", now + 100000, 5000));
  REQUIRE(rest);
  CHECK(rest->id == "bulk_b");
  CHECK_FALSE(must(m->claim_bulk("node-4", now + 100000, 5000)));
}

TEST_CASE("AWS connections: the first External ID is kept, connect and disconnect",
          "[aws_connections]") {
  temp_dir dir;
  const auto path = dir.file("a.db");
  auto s = open(path);
  auto a = must(sesami::store::open_aws_connections(db_of(path)));

  CHECK_FALSE(must(a->get("default")));
  auto row = must(a->ensure("default", "ext-1", t0));
  CHECK(row.external_id == "ext-1");
  CHECK_FALSE(row.connected());
  CHECK(must(a->ensure("default", "ext-2", t0 + 1)).external_id == "ext-1");
  CHECK(must(a->ensure("other", "ext-3", t0)).external_id == "ext-3");

  sesami::store::aws_connection_row c;
  c.workspace = "default", c.role_arn = "arn:aws:iam::123456789012:role/SESami";
  c.region = "eu-west-1", c.configuration_set = "sesami", c.mode = "sqs";
  c.queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/sesami";
  c.external_id = "ignored", c.updated_at = t0 + 5;
  REQUIRE(a->connect(c));
  auto got = must(a->get("default"));
  REQUIRE(got);
  CHECK(got->connected());
  CHECK(got->external_id == "ext-1");  // never changed by connect
  CHECK(got->role_arn == c.role_arn);
  CHECK(got->region == "eu-west-1");
  CHECK(got->configuration_set == "sesami");
  CHECK(got->queue_url == c.queue_url);
  CHECK(got->mode == "sqs");
  CHECK(got->updated_at == t0 + 5);

  auto list = must(a->connected());
  REQUIRE(list.size() == 1);
  CHECK(list[0].workspace == "default");
  CHECK_FALSE(must(a->get("other"))->connected());

  c.workspace = "nobody";
  auto none = a->connect(c);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::not_found);

  REQUIRE(a->disconnect("default", t0 + 9));
  got = must(a->get("default"));
  REQUIRE(got);
  CHECK_FALSE(got->connected());
  CHECK(got->external_id == "ext-1");  // kept across a disconnect
  CHECK(got->region.empty());
  CHECK(got->mode.empty());
  CHECK(got->updated_at == t0 + 9);
  CHECK(must(a->connected()).empty());
}

TEST_CASE("suppression sync store: runs with their changes, the baseline replaced whole",
          "[suppression_sync_store]") {
  temp_dir dir;
  const auto path = dir.file("s.db");
  auto s = open(path);
  auto y = must(sesami::store::open_suppression_sync(db_of(path)));

  CHECK(must(y->baseline("default")).empty());
  CHECK_FALSE(must(y->last("default")));

  sesami::store::sync_record r;
  r.at = t0, r.cause = "manual", r.pulled = 2, r.pushed = 1;
  r.changes = {{"b@x.com", "pulled", "BOUNCE"},
               {"a@x.com", "pulled", "COMPLAINT"},
               {"c@x.com", "pushed", "hard-bounce"}};
  r.errors = {{"d@x.com", "put", "Throttling", "Rate\texceeded\nslow down"},
              {"", "list", "AccessDenied", "no ses:ListSuppressedDestinations"}};
  REQUIRE(y->save("default", r, {"c@x.com", "a@x.com", "b@x.com"}));
  REQUIRE(y->save("other", sesami::store::sync_record{t0, "schedule", 0, 0, 0, 0, {}, {}},
                  {"z@x.com"}));

  CHECK(must(y->baseline("default")) == std::vector<std::string>{"a@x.com", "b@x.com", "c@x.com"});
  auto last = must(y->last("default"));
  REQUIRE(last);
  CHECK(last->at == t0);
  CHECK(last->cause == "manual");
  CHECK(last->pulled == 2);
  CHECK(last->pushed == 1);
  REQUIRE(last->changes.size() == 3);
  CHECK(last->changes[0].address == "a@x.com");  // by address
  CHECK(last->changes[0].reason == "COMPLAINT");
  CHECK(last->changes[2].change == "pushed");
  REQUIRE(last->errors.size() == 2);
  CHECK(last->errors[0].address == "d@x.com");
  CHECK(last->errors[0].code == "Throttling");
  CHECK(last->errors[0].message == "Rate exceeded slow down");  // separators cleaned
  CHECK(last->errors[1].address.empty());
  CHECK(last->errors[1].operation == "list");
  CHECK(must(y->last("default", 1))->changes.size() == 1);

  // The next run replaces the baseline whole; a change listed twice keeps its last version.
  sesami::store::sync_record r2;
  r2.at = t0 + 60000, r2.cause = "schedule", r2.removed_local = 1;
  r2.changes = {{"a@x.com", "pulled", "x"}, {"a@x.com", "removed-local", "y"}};
  REQUIRE(y->save("default", r2, {"b@x.com"}));
  CHECK(must(y->baseline("default")) == std::vector<std::string>{"b@x.com"});
  last = must(y->last("default"));
  REQUIRE(last);
  CHECK(last->cause == "schedule");
  CHECK(last->removed_local == 1);
  CHECK(last->errors.empty());
  REQUIRE(last->changes.size() == 1);
  CHECK(last->changes[0].change == "removed-local");
  CHECK(must(y->baseline("other")) == std::vector<std::string>{"z@x.com"});
  CHECK(must(y->last("other"))->cause == "schedule");
}

TEST_CASE("PostgreSQL: two nodes claiming bulk jobs at once never take the same one",
          "[postgres][mail_store]") {
  temp_dir dir;
  const auto path = dir.file("c.db");
  auto s = open(path);
  // Two store instances with their own connection pools: two SESami nodes on one database.
  auto node1 = must(sesami::store::open_mail(db_of(path)));
  auto node2 = must(sesami::store::open_mail(db_of(path)));
  constexpr int jobs = 200;
  for (int i = 0; i < jobs; ++i)
    REQUIRE(node1->create_bulk(
        job("bulk_" + std::to_string(i), i % 2 ? "default" : "other", t0 + i % 7, 1), {"[]"}));

  std::mutex mu;
  std::map<std::string, std::vector<std::string>> claims;  // job → owners that claimed it
  std::atomic<int> errors{0};
  auto worker = [&](sesami::store::mail_store& m, std::string owner) {
    for (;;) {
      auto c = m.claim_bulk(owner, t0 + 1000, 600000);
      if (!c) {
        ++errors;
        return;
      }
      if (!*c) return;
      std::lock_guard lock(mu);
      claims[(*c)->id].push_back(owner);
    }
  };
  // Two threads per node: contention inside a node's pool and across nodes.
  std::vector<std::thread> ts;
  ts.emplace_back(worker, std::ref(*node1), "node-1a");
  ts.emplace_back(worker, std::ref(*node1), "node-1b");
  ts.emplace_back(worker, std::ref(*node2), "node-2a");
  ts.emplace_back(worker, std::ref(*node2), "node-2b");
  for (auto& t : ts) t.join();

  CHECK(errors == 0);
  CHECK(claims.size() == static_cast<std::size_t>(jobs));
  std::set<std::string> owners;
  for (const auto& [id, who] : claims) {
    INFO(id);
    CHECK(who.size() == 1);
    owners.insert(who.front());
  }
  CHECK(sql_int(path, "SELECT count(*) FROM mail_bulk_jobs WHERE status = 'running'") == jobs);
  CHECK(sql_int(path, "SELECT count(DISTINCT lease_owner) FROM mail_bulk_jobs") ==
        static_cast<std::int64_t>(owners.size()));

  // Finishing the same batch from both nodes at once counts it once.
  REQUIRE(node1->begin_batch("bulk_0", 0, t0));
  std::thread f1([&] { CHECK(node1->finish_batch("bulk_0", 0, 1, 0, 0, {}, t0 + 1)); });
  std::thread f2([&] { CHECK(node2->finish_batch("bulk_0", 0, 1, 0, 0, {}, t0 + 1)); });
  f1.join(), f2.join();
  auto j = must(node2->find_bulk("other", "bulk_0"));
  REQUIRE(j);
  CHECK(j->sent == 1);
}

TEST_CASE("PostgreSQL: the sending stores report an unreachable server as unavailable",
          "[postgres][mail_store]") {
  const std::string url = "postgresql://sesami:sesami@127.0.0.1:1/nowhere?connect_timeout=2";
  auto m = sesami::store::open_mail(url);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == errc::unavailable);
  CHECK(m.error().message.find("sesami:sesami") == std::string::npos);  // password redacted
  auto a = sesami::store::open_aws_connections(url);
  REQUIRE_FALSE(a);
  CHECK(a.error().code == errc::unavailable);
  auto y = sesami::store::open_suppression_sync(url);
  REQUIRE_FALSE(y);
  CHECK(y.error().code == errc::unavailable);
}

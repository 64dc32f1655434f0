// Pipeline health (pipeline_health_store.hpp, app/pipeline_health.hpp) on SQLite (store:*) and
// PostgreSQL (store:pg:*): two nodes' merged counters, the silence windows, the sends whose events
// never came, and the silence findings at an injected time.
#include "store/pipeline_health_store.hpp"

#include <thread>

#include "app/alerts.hpp"
#include "app/pipeline_health.hpp"
#include "app/silence_alerts.hpp"
#include "helpers.hpp"
#include "store/guard_store.hpp"
#include "store/mail_store.hpp"
#include "store/open.hpp"

using namespace store_test;
namespace app = sesami::app;
namespace store = sesami::store;

namespace {
std::string db_of(const std::string& path) { return on_postgres() ? pg_url_for(path) : path; }

template <class T>
T must(store::result<T> r) {
  if (!r) FAIL("failed: " << r.error().message);
  return std::move(*r);
}
template <class T>
T must(app::outcome<T> r) {
  if (!r) FAIL("failed: " << r.error().message);
  return std::move(*r);
}

const store::source_row* find(const std::vector<store::source_row>& rows, const std::string& id) {
  for (const auto& r : rows)
    if (r.id == id) return &r;
  return nullptr;
}

// A send the mailer recorded: queued, then sent with SES's message id.
void sent(store::mail_store& m, std::string id, std::string ws, std::int64_t at,
          std::string message_id, std::string status = "sent") {
  store::mail_attempt a;
  a.id = std::move(id), a.workspace = std::move(ws), a.created_at = at;
  a.transport = "ses", a.status = "queued", a.subject = "Hi", a.recipients = {"a@example.com"};
  REQUIRE(m.add_attempt(a));
  a.status = std::move(status), a.message_id = std::move(message_id);
  REQUIRE(m.update_attempt(a));
}
}  // namespace

TEST_CASE("pipeline health: two nodes' counts merge, the newer error wins", "[pipeline_health]") {
  temp_dir dir;
  const auto path = dir.file("h.db");
  auto s = open(path);
  auto node_a = must(store::open_pipeline_health(db_of(path)));
  auto node_b = must(store::open_pipeline_health(db_of(path)));
  const auto now = t0 + 400 * 24 * hour;
  const std::int64_t h = now / hour;
  const std::string queue = "https://sqs.us-east-1.amazonaws.com/111122223333/ses-events";

  {
    app::pipeline_health a(*node_a), b(*node_b);
    // Node A sees 3 + 2 events in two hours; node B 4 in the later hour and an error.
    a.note_events("default", "sqs", queue, 3, now - hour);
    a.note_events("default", "sqs", queue, 2, now);
    b.note_events("default", "sqs", queue, 4, now + 1000);
    b.note_error("default", "sqs", queue, "ReceiveMessage failed: AccessDenied", now - 500);
    a.note_error("default", "sqs", queue, "an older error", now - 5000);
    REQUIRE(b.flush());
    REQUIRE(a.flush());  // lands second: its older error and last event must not win
  }
  const auto id = app::source_id("sqs", queue);
  CHECK(id == app::source_id("sqs", queue));  // every node derives the same id
  CHECK(id.starts_with("src_"));
  auto rows = must(node_a->sources("default", h - 48));
  const auto* r = find(rows, id);
  REQUIRE(r);
  CHECK(r->kind == "sqs");
  CHECK(r->name == queue);
  CHECK(r->first_event_at == now - hour);
  CHECK(r->last_event_at == now + 1000);
  CHECK(r->last_error == "ReceiveMessage failed: AccessDenied");
  CHECK(r->last_error_at == now - 500);
  REQUIRE(r->hours.size() == 2);
  CHECK(r->hours[0] == std::pair<std::int64_t, std::int64_t>{h - 1, 3});
  CHECK(r->hours[1] == std::pair<std::int64_t, std::int64_t>{h, 6});
  // Another workspace sees none of it.
  CHECK(must(node_a->sources("other", 0)).empty());

  SECTION("merges of one source from several threads add up exactly") {
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
      ts.emplace_back([&, t] {
        auto db = must(store::open_pipeline_health(db_of(path)));
        app::pipeline_health p(*db);
        for (int i = 0; i < 25; ++i) {
          p.note_events("default", "sqs", queue, 1, now + t);
          REQUIRE(p.flush());
        }
      });
    for (auto& t : ts) t.join();
    auto after = must(node_a->sources("default", h));
    REQUIRE(find(after, id));
    CHECK(find(after, id)->hours.back().second == 6 + 100);
  }
  SECTION("hour buckets older than the kept history are pruned") {
    std::vector<store::source_delta> d(1);
    d[0].workspace = "default", d[0].id = id, d[0].kind = "sqs", d[0].name = queue;
    REQUIRE(node_a->merge(d, h));  // keep only hours >= h
    auto after = must(node_a->sources("default", 0));
    REQUIRE(find(after, id));
    CHECK(find(after, id)->hours.size() == 1);
  }
  SECTION("a silence window is set per workspace") {
    CHECK(must(node_a->set_silence_window("default", id, 30 * 60'000, now)));
    CHECK_FALSE(must(node_a->set_silence_window("other", id, 30 * 60'000, now)));
    CHECK_FALSE(must(node_a->set_silence_window("default", "src_nope", 30 * 60'000, now)));
    CHECK(find(must(node_b->sources("default", 0)), id)->silence_window_ms == 30 * 60'000);
  }
}

TEST_CASE("pipeline health: default silence windows follow the usual rate", "[pipeline_health]") {
  store::source_row r;
  r.kind = "sqs";
  const std::int64_t h = (t0 + 400 * 24 * hour) / hour;
  // Active every hour for a day: twice an hour.
  r.first_event_at = (h - 23) * hour, r.last_event_at = h * hour + 10;
  for (std::int64_t i = h - 23; i <= h; ++i) r.hours.emplace_back(i, 50);
  CHECK(app::default_silence_window(r) == 2 * hour);
  // A daily newsletter for a week (one busy hour a day): two days.
  r.hours.clear();
  r.first_event_at = (h - 6 * 24) * hour;
  for (int d = 0; d < 7; ++d) r.hours.emplace_back(h - 6 * 24 + d * 24, 5000);
  CHECK(app::default_silence_window(r) == 48 * hour);
  // Rarely delivering: capped at a week; imports and the simulator: not watched.
  r.hours = {{h, 1}};
  CHECK(app::default_silence_window(r) == 7 * 24 * hour);
  r.kind = "import";
  CHECK(app::default_silence_window(r) == 0);
}

TEST_CASE("pipeline health: silence findings at an injected time", "[pipeline_health]") {
  temp_dir dir;
  const auto path = dir.file("h.db");
  auto s = open(path);
  REQUIRE(s->ensure_workspace("other"));
  auto db = must(store::open_pipeline_health(db_of(path)));
  auto mail = must(store::open_mail(db_of(path)));
  const auto now = t0 + 400 * 24 * hour;
  const std::string queue = "https://sqs.us-east-1.amazonaws.com/111122223333/ses-events";
  const app::delivery_path path_sqs{"sqs", queue, "sesami-events"};
  app::pipeline_health p(*db);
  // Delivering every hour for the last day, the last event at `now`.
  for (int i = 23; i >= 0; --i) p.note_events("default", "sqs", queue, 10, now - i * hour);
  p.note_events("default", "import", "", 100, now - 30 * 24 * hour);
  REQUIRE(p.flush());
  const auto id = app::source_id("sqs", queue);

  SECTION("a source is silent once quiet longer than its window, not before") {
    CHECK(must(app::detect_silence(*db, "default", now + 2 * hour - 60'000, path_sqs)).empty());
    auto f = must(app::detect_silence(*db, "default", now + 2 * hour + 60'000, path_sqs));
    REQUIRE(f.size() == 1);  // the month-old import is not watched
    CHECK(f[0].kind == "source_silent");
    CHECK(f[0].source == id);
    CHECK(f[0].since == now);
    CHECK(f[0].message.starts_with("events are not arriving from SQS queue " + queue));
    CHECK(f[0].check.find("DeadLetterQueueUrl") != std::string::npos);  // doctor's verdict
    // The list says the same.
    auto list = must(app::list_sources(*db, "default", now + 2 * hour + 60'000));
    for (const auto& h : list) CHECK(h.silent == (h.row.id == id));
  }
  SECTION("a window set by a person replaces the default") {
    REQUIRE(must(db->set_silence_window("default", id, 10 * 60'000, now)));
    CHECK(must(app::detect_silence(*db, "default", now + 9 * 60'000)).empty());
    CHECK(must(app::detect_silence(*db, "default", now + 11 * 60'000)).size() == 1);
  }
  SECTION("events per hour: 24 clock hours, the last hour estimated") {
    auto list = must(app::list_sources(*db, "default", now));
    const auto* h = &list[0];
    if (h->row.kind != "sqs") h = &list[1];
    REQUIRE(h->hourly.size() == 24);
    CHECK(h->hourly[23] == 10);
    CHECK(h->hourly[0] == 10);
    CHECK(h->events_last_hour >= 10);
    CHECK(h->events_last_hour <= 20);
  }
  SECTION("mail sent through SESami whose events did not come within 15 minutes") {
    sent(*mail, "att_old", "default", now - 20 * 60'000, "0100-missing");
    sent(*mail, "att_recent", "default", now - 5 * 60'000, "0100-recent");         // too early
    sent(*mail, "att_answered", "default", now - 40 * 60'000, "0100-answered");    // has events
    sent(*mail, "att_failed", "default", now - 30 * 60'000, "", "failed");         // never sent
    sent(*mail, "att_other", "other", now - 30 * 60'000, "0100-other-workspace");  // not ours
    sent(*mail, "att_ancient", "default", now - 30 * hour, "0100-ancient");        // past lookback
    ingest(*s, {make_event("0100-answered", sesami::event_type::send, "a@example.com", now)});

    auto u = must(db->unanswered_sends("default", now - 24 * hour, now - 15 * 60'000, 10));
    REQUIRE(u.size() == 1);
    CHECK(u[0].attempt_id == "att_old");
    CHECK(u[0].message_id == "0100-missing");

    auto f = must(app::detect_silence(*db, "default", now, path_sqs));
    REQUIRE(f.size() == 1);
    CHECK(f[0].kind == "send_events_missing");
    CHECK(f[0].since == now - 20 * 60'000);
    CHECK(f[0].message.find("0100-missing") != std::string::npos);
    CHECK(f[0].message.starts_with("events are not arriving"));
    CHECK(f[0].check.find("QueueUrl") != std::string::npos);
    // Its Send event arrives: nothing is missing any more.
    ingest(*s, {make_event("0100-missing", sesami::event_type::send, "a@example.com", now)});
    CHECK(must(app::detect_silence(*db, "default", now, path_sqs)).empty());
  }
}

TEST_CASE("pipeline health: a silent source becomes one alert, resolved when events return",
          "[pipeline_health]") {
  temp_dir dir;
  const auto path = dir.file("h.db");
  auto s = open(path);
  auto db = must(store::open_pipeline_health(db_of(path)));
  auto guard_db = must(store::open_guard(db_of(path)));
  auto acc = must(store::open_accounts(db_of(path)));
  app::alerts alerts(*guard_db, nullptr, *acc);
  app::pipeline_health p(*db);
  app::silence_alerts watch(*s, p, alerts, nullptr);
  const auto now = t0 + 400 * 24 * hour;
  const std::string queue = "https://sqs.us-east-1.amazonaws.com/111122223333/ses-events";
  for (int i = 23; i >= 0; --i) p.note_events("default", "sqs", queue, 10, now - i * hour);
  REQUIRE(p.flush());
  const auto key = "silence:source_silent:" + app::source_id("sqs", queue);
  auto open_alerts = [&] {
    std::vector<store::alert_row> out;
    for (auto& a : must(alerts.list("default", {200, false})).alerts)
      if (a.resolved_at == 0) out.push_back(a);
    return out;
  };

  watch.check(now + hour);  // within the window: nothing
  CHECK(open_alerts().empty());
  watch.check(now + 3 * hour);
  auto raised = open_alerts();
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].kind == "source_silent");
  CHECK(raised[0].dedupe_key == key);
  CHECK(raised[0].since == now);
  CHECK(raised[0].summary.starts_with("events are not arriving from SQS queue"));
  CHECK(raised[0].action.find("DeadLetterQueueUrl") != std::string::npos);
  watch.check(now + 4 * hour);  // still silent: the same alert, not a second one
  CHECK(open_alerts().size() == 1);
  CHECK(must(alerts.list("default", {200, false})).alerts.size() == 1);

  p.note_events("default", "sqs", queue, 5, now + 4 * hour + 60'000);  // events again
  watch.check(now + 4 * hour + 120'000);
  CHECK(open_alerts().empty());
  CHECK(must(alerts.list("default", {200, false})).alerts.size() == 1);  // kept, resolved
  CHECK(must(alerts.list("other", {200, false})).alerts.empty());
}

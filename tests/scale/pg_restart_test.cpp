// PostgreSQL restarted under the nodes mid-ingestion (issue #8), on a private cluster (never the
// shared one): while it is down, ingestion answers 503 (EventBridge and SNS retry those) and
// /health says the storage is unavailable — never a 2xx for an event that is not stored. When it
// is back, the same server processes take events again by themselves. Afterwards every event is
// stored exactly once, the rollups equal a recount (no transaction half-applied), and the API
// answers what a single node answers on a fresh database.
//
// Two ways down: "fast" (PostgreSQL's clean shutdown: sessions are terminated) and "immediate"
// (a crash: no shutdown checkpoint, WAL recovery on start).
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "scale.hpp"

using namespace sesami::test;
using namespace std::chrono_literals;

TEST_CASE(
    "pg-restart: PostgreSQL restarted mid-ingestion: 503 while down, nothing half-written, "
    "ingestion resumes by itself",
    "[scale][pg-restart]") {
  const std::string mode = GENERATE("fast", "immediate");
  INFO("pg_ctl stop -m " << mode);
  const std::uint64_t seed = proof_seed();
  INFO("seed " << seed << " (rerun with SESAMI_PROOF_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);
  private_cluster pg;
  pg_schema multi(pg.url()), single(pg.url());
  temp_dir dir;

  const auto stream = make_stream(seed, 200, 48);
  const auto order = shuffled_with_duplicates(stream, 0.1, rng);
  const auto ws = make_ingest_workspace(multi.url());

  delivery_report at_stop, while_down, at_start, rep;
  int health_down = 0, health_up = 0, health_tries = 0;
  bool resumed = false, done = false, still_running = false;
  snapshot got;
  {
    fleet nodes(dir.path / "nodes", multi.url(), 2);
    {
      // The first third goes in before the stop; the rest waits for it, so that requests meet
      // the stopped database however fast this machine is.
      const std::size_t first = order.size() / 3;
      deliverer d(nodes, stream, order, ws, 4, order.size() - first);
      REQUIRE(d.wait_acknowledged(first / 2, 60s));
      pg.stop(mode);
      // Answers to requests committed just before the stop may still be on their way.
      std::this_thread::sleep_for(200ms);
      at_stop = d.report();
      d.release_held();
      std::this_thread::sleep_for(1500ms);  // the senders keep going: every answer now is a 503
      while_down = d.report();
      health_down = http_client(nodes.port(0)).request("GET", "/health").status;
      pg.start();
      at_start = d.report();
      const auto acked_at_start = d.acknowledged();
      resumed = d.wait_acknowledged(acked_at_start + 100, 60s);
      done = d.finish(120s);
      rep = d.report();
    }
    // /health reads through the store: healthy at once, a pooled connection that PostgreSQL
    // closed being replaced before use instead of failing its first statement with a 503.
    for (int i = 0; i < 100 && health_up != 200; ++i) {
      ++health_tries;
      health_up = http_client(nodes.port(1)).request("GET", "/health").status;
      if (health_up != 200) std::this_thread::sleep_for(100ms);
    }
    still_running = nodes.node(0).running() && nodes.node(1).running();
    INFO(nodes.logs());
    REQUIRE(done);
    got = take_snapshot(nodes.port(0), ws.key, stream);
  }

  INFO("first unexpected answer: " << rep.first_unexpected);
  for (const auto& [st, n] : rep.statuses) {
    INFO("HTTP " << st << " x" << n);
    CHECK(((st >= 200 && st < 300) || st == 503));
  }
  // While PostgreSQL was down, requests were refused with 503, and none acknowledged after the
  // stop had completed and before the start.
  const int refused_while_down = while_down.statuses[503] - at_stop.statuses[503];
  std::size_t acked_while_down = 0;
  for (const auto& [st, n] : while_down.statuses)
    if (st >= 200 && st < 300) acked_while_down += static_cast<std::size_t>(n);
  for (const auto& [st, n] : at_stop.statuses)
    if (st >= 200 && st < 300) acked_while_down -= static_cast<std::size_t>(n);
  CHECK(refused_while_down > 0);
  CHECK(acked_while_down == 0);
  CHECK(health_down == 503);
  // Back by itself: the same processes, no restart of theirs.
  CHECK(resumed);
  CHECK(still_running);
  CHECK(health_up == 200);
  CHECK(health_tries == 1);
  // Once PostgreSQL is back, the pooled connections it closed are replaced, not each answered
  // with a 503: only requests already in flight when it came back (4 senders) may still fail.
  const int refused_after_start = rep.statuses[503] - at_start.statuses[503];
  CHECK(refused_after_start <= 8);
  WARN("pg-restart (" << mode << "): " << stream.events.size() << " events; " << refused_while_down
                      << " requests answered 503 while PostgreSQL was down, " << rep.statuses[503]
                      << " in all, " << refused_after_start << " after it was back, "
                      << rep.unanswered << " unanswered; afterwards " << got.retried_503
                      << " reads answered 503 once and were retried");

  const auto count = count_stored(got, stream);
  for (std::size_t i = 0; i < stream.events.size(); ++i) {
    INFO(stream.events[i].message_id << " " << stream.events[i].type);
    CHECK(count.per_event[i] == 1);
  }
  CHECK(count.strangers.empty());
  for (const auto& d : recount_differences(got)) FAIL_CHECK(d);
  const auto want = single_node_reference(dir.path / "single", single.url(), stream);
  for (const auto& d : differences(got, want)) FAIL_CHECK(d);
}

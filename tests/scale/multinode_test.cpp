// Several `sesami serve` nodes on one PostgreSQL (issue #8): the same SES event stream goes
// through all of them at once — duplicates included, in no particular order — while nodes are
// killed with SIGKILL and restarted. Afterwards every event is stored exactly once, the rollups
// equal a recount, and what the API answers (events, each recipient's statuses, rollups, the
// suppression list) equals a single node fed the same events once, in order, on a fresh database.
//
// The seed is printed with any failure; rerun one with SESAMI_PROOF_SEED=<seed>.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "scale.hpp"

using namespace sesami::test;
using namespace std::chrono_literals;

TEST_CASE(
    "multinode: three nodes on one database, two SIGKILLed and restarted mid-stream, "
    "answer what a single node answers",
    "[scale][multinode]") {
  const std::uint64_t seed = proof_seed();
  INFO("seed " << seed << " (rerun with SESAMI_PROOF_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);
  temp_dir dir;
  scale_db multi(dir.path, "multi"), single(dir.path, "single");

  const auto stream = make_stream(seed, 240, 48);
  const auto order = shuffled_with_duplicates(stream, 0.25, rng);
  const auto ws = make_ingest_workspace(multi.url());

  delivery_report rep;
  snapshot got;
  {
    fleet nodes(dir.path / "multi", multi.url(), 3, redis_flags(dir.path));
    std::string logs;
    bool done = false;
    {
      deliverer d(nodes, stream, order, ws, 6);
      // Node 2 dies a quarter of the way in and comes back; node 3 halfway, the same. Requests
      // in flight on a dying node get no answer and go again through another node.
      REQUIRE(d.wait_acknowledged(order.size() / 4, 60s));
      nodes.kill(1);
      std::this_thread::sleep_for(100ms);
      nodes.start(1);
      REQUIRE(d.wait_acknowledged(order.size() / 2, 60s));
      nodes.kill(2);
      nodes.start(2);
      done = d.finish(120s);
      rep = d.report();
    }
    INFO(nodes.logs());
    REQUIRE(done);
    got = take_snapshot(nodes.port(2), ws.key, stream);  // through a restarted node
    const auto health = parse(http_client(nodes.port(0)).request("GET", "/health"));
    const auto* redis = health.as_object().if_contains("redis");
    WARN("multinode: Redis " << (redis ? s(redis->at("status")) : "not configured"));
  }

  // Answers: 2xx, or 503 (the store was briefly unavailable, AWS retries); nothing else.
  INFO("first unexpected answer: " << rep.first_unexpected);
  for (const auto& [st, n] : rep.statuses) {
    INFO("HTTP " << st << " x" << n);
    CHECK(((st >= 200 && st < 300) || st == 503));
  }
  std::size_t duplicates = rep.requests - stream.events.size();
  WARN("multinode: " << stream.events.size() << " events, " << duplicates
                     << " sent twice, 2 nodes SIGKILLed; " << rep.unanswered
                     << " requests unanswered and sent again, " << rep.statuses[503]
                     << " answered 503");
  CHECK(duplicates > 0);

  // Every event acknowledged (the deliverer retried until it was) and stored exactly once.
  const auto count = count_stored(got, stream);
  for (std::size_t i = 0; i < stream.events.size(); ++i) {
    INFO(stream.events[i].message_id << " " << stream.events[i].type << " acknowledged "
                                     << rep.acks[i] << " times");
    CHECK(rep.acks[i] >= 1);
    CHECK(count.per_event[i] == 1);
  }
  CHECK(count.strangers.empty());

  // Nothing half-written: the rollups equal a recount of the stored events.
  for (const auto& d : recount_differences(got)) FAIL_CHECK(d);

  // And the whole picture equals one node fed the same events once, in order.
  const auto want = single_node_reference(dir.path / "single", single.url(), stream);
  CHECK(want.events.size() == stream.events.size());
  CHECK(want.recipients.size() == stream.recipients.size());
  CHECK(!want.suppressed.empty());
  for (const auto& d : differences(got, want)) FAIL_CHECK(d);
}

// Crash consistency: events stream over HTTP at full speed into a real `sesami serve`, which is
// killed with SIGKILL at random moments and restarted on the same database. Afterwards every event
// whose request got a 2xx is stored exactly once, an event whose request got no answer is stored at
// most once, and the rollups behind `sesami stats` equal a recount of the stored events.
//
// The seed is printed with any failure; rerun one with SESAMI_PROOF_SEED=<seed>. SESAMI_CRASH_KILLS
// sets the number of kills (default 25).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/to_json.hpp>

#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {
// What a sender knows about one event it sent.
enum class fate { acknowledged, unanswered, refused };

// An EventBridge event from a fixture with a fresh SES message id (a distinct event).
std::string with_message_id(const json::value& tmpl, const std::string& mid) {
  json::value v = tmpl;
  auto& mail = v.at("detail").at("mail").as_object();
  mail["messageId"] = mid;
  mail.at("commonHeaders").as_object()["messageId"] = mid;
  return json::serialize(v);
}
}  // namespace

TEST_CASE("crash: SIGKILL at random moments loses no acknowledged event and stores none twice",
          "[proof][crash]") {
  const std::uint64_t seed = proof_seed();
  INFO("seed " << seed << " (rerun with SESAMI_PROOF_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);
  const char* kills_env = std::getenv("SESAMI_CRASH_KILLS");
  const int kills = kills_env ? std::atoi(kills_env) : 25;

  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto ws = create_workspace(db, "acme");
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
              .status == 0);

  // Six kinds of events, so that the rollups' statuses, bounce classes and engagement all move.
  std::vector<json::value> templates;
  for (const char* f : {"send", "delivery", "bounce", "complaint", "open", "click"})
    templates.push_back(json::parse(fixture(std::string("eventbridge/event-") + f + ".json")));

  std::mutex mu;
  std::map<std::string, fate> sent;  // message id → what its request answered
  std::atomic<std::uint64_t> next_id{0};
  int non_2xx = 0;
  std::string first_refusal;
  constexpr int senders = 6;

  for (int round = 0; round <= kills; ++round) {
    server_process srv(dir.path);
    std::atomic<bool> go{true};
    std::atomic<int> acked_this_round{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < senders; ++k)
      threads.emplace_back([&, k] {
        std::unique_ptr<http_client> c;
        while (go) {
          const std::uint64_t n = next_id++;
          const std::string mid = "crash-" + std::to_string(n);
          const auto body = with_message_id(templates[n % templates.size()], mid);
          {
            std::lock_guard lock(mu);
            sent[mid] = fate::unanswered;  // until an answer says otherwise
          }
          try {
            if (!c) c = std::make_unique<http_client>(srv.port());
            auto r = c->request("POST", "/ingest/eventbridge/" + ws.token, body,
                                {{"X-Sesami-Secret", ws.secret}});
            std::lock_guard lock(mu);
            if (r.status >= 200 && r.status < 300) {
              sent[mid] = fate::acknowledged;
              ++acked_this_round;
            } else {
              sent[mid] = fate::refused;
              if (non_2xx++ == 0) first_refusal = std::to_string(r.status) + " " + r.body;
            }
            (void)k;
          } catch (const std::exception&) {
            // The server died mid-request (or before accepting): no answer, and no more sends.
            return;
          }
        }
      });
    // A kill anywhere from right after start-up (migrations, first requests) to well into the
    // stream; the last round is not killed but stopped cleanly, and its log read.
    if (round < kills) {
      const auto delay = std::uniform_int_distribution<int>(0, 300)(rng);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      srv.kill_hard();
    } else {
      const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (acked_this_round < 100 && std::chrono::steady_clock::now() < guard)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      go = false;
      for (auto& t : threads) t.join();
      threads.clear();
      CHECK(srv.stop() == 0);
    }
    go = false;
    for (auto& t : threads) t.join();
  }
  INFO("first refusal: " << first_refusal);
  CHECK(non_2xx == 0);  // a crash-restarted server refuses nothing it should take

  // Every stored event, through the CLI on the stopped database (JSON Lines, paged by cursor).
  std::map<std::string, int> stored;
  std::vector<sesami::event> events;
  std::string cursor;
  do {
    std::vector<std::string> args{"events", "--db",   db.string(), "--workspace",
                                  "acme",   "--json", "--limit",   "1000"};
    if (!cursor.empty()) args.insert(args.end(), {"--cursor", cursor});
    auto r = run_sesami_err(args);
    REQUIRE(r.status == 0);
    std::size_t at = 0;
    while (at < r.out.size()) {
      const auto nl = r.out.find('\n', at);
      const auto line = r.out.substr(at, nl - at);
      at = nl == std::string::npos ? r.out.size() : nl + 1;
      if (line.empty()) continue;
      auto e = sesami::event_from_json(line);
      REQUIRE(e.has_value());
      ++stored[e->message_id];
      events.push_back(std::move(*e));
    }
    const std::string marker = "more: --cursor ";
    const auto m = r.err.find(marker);
    cursor = m == std::string::npos
                 ? ""
                 : r.err.substr(m + marker.size(), r.err.find('\n', m) - m - marker.size());
  } while (!cursor.empty());

  std::size_t acked = 0, unanswered = 0, unanswered_stored = 0;
  for (const auto& [mid, f] : sent) {
    const auto it = stored.find(mid);
    const int n = it == stored.end() ? 0 : it->second;
    INFO("message " << mid);
    if (f == fate::acknowledged) {
      ++acked;
      CHECK(n == 1);
    } else if (f == fate::unanswered) {
      ++unanswered;
      unanswered_stored += static_cast<std::size_t>(n);
      CHECK(n <= 1);
    } else {
      CHECK(n == 0);
    }
  }
  // Nothing appears that was never sent.
  for (const auto& [mid, n] : stored) CHECK(sent.count(mid) == 1);
  WARN("crash: " << kills << " kills, " << sent.size() << " events sent, " << acked
                 << " acknowledged, " << unanswered << " unanswered (" << unanswered_stored
                 << " of them stored)");
  CHECK(acked >= 100);

  // The rollups (sesami stats) against a recount of the stored events by the analytics core.
  auto st = run_sesami({"stats", "--db", db.string(), "--workspace", "acme", "--json"});
  REQUIRE(st.status == 0);
  const auto rollup = json::parse(st.out);
  auto batch = sesami::make_batch(events);
  REQUIRE(batch.has_value());
  auto recount = sesami::aggregate(*batch, sesami::filter{});
  REQUIRE(recount.has_value());
  const auto expected = json::parse(sesami::to_json(*recount));
  CHECK(rollup.at("events") == expected.at("events"));
  CHECK(rollup.at("events").to_number<std::size_t>() == events.size());
  for (const char* k : {"totals", "opens", "clicks", "statuses", "bounceClasses"}) {
    INFO(k);
    CHECK(json::serialize(rollup.at(k)) == json::serialize(expected.at(k)));
  }
}

// Bulk sends across nodes (issue #8): a job queued on node 1 is taken over by node 2 after node 1
// is SIGKILLed mid-job (its lease runs out), and finished there while node 1 stays down. Then both
// nodes run and share a queue of new jobs. Through the mailbox simulator: every destination gets
// exactly one attempt, and nobody's message is sent twice (one Send event per recipient at most).
#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "scale.hpp"

using namespace sesami::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
struct api {
  unsigned short port;
  std::string key;
  http_response get(const std::string& path) const {
    return http_client(port).request("GET", path, "", bearer(key));
  }
  http_response post(const std::string& path, const json::value& body) const {
    return http_client(port).request("POST", path, json::serialize(body), bearer(key));
  }
};

json::object bulk_body(const std::string& job, int n) {
  json::array d;
  for (int i = 0; i < n; ++i)
    d.push_back(
        {{"to", json::array{json::value(job + "-user" + std::to_string(i) + "@example.com")}},
         {"data", {{"n", i}}}});
  return {{"from", "news@example.com"},
          {"template", {{"name", "newsletter"}, {"data", {{"n", 0}}}}},
          {"destinations", std::move(d)},
          {"correlationId", job}};
}

json::value wait_bulk(const api& a, const std::string& id,
                      const std::function<bool(const json::value&)>& ok) {
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  for (;;) {
    auto r = a.get("/mail/bulk/" + id);
    REQUIRE(r.status == 200);
    auto v = parse(r);
    if (ok(v)) return v;
    if (std::chrono::steady_clock::now() > deadline) FAIL("bulk job stuck: " << r.body);
    std::this_thread::sleep_for(50ms);
  }
}

/// Attempts of one job (its correlation id), every page.
json::array attempts_of(const api& a, const std::string& job) {
  json::array out;
  std::string cursor;
  for (;;) {
    auto r = a.get("/mail/attempts?limit=1000&correlationId=" + job +
                   (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto v = parse(r);
    for (auto& x : v.at("attempts").as_array()) out.push_back(x);
    if (v.at("next").is_null()) return out;
    cursor = s(v.at("next"));
  }
}

/// Recipients of the stored Send events, with how many each got; polled until the count stops
/// growing (the simulator's events are ingested asynchronously).
std::map<std::string, int> sends(const api& a) {
  std::map<std::string, int> out;
  for (std::size_t before = SIZE_MAX; before != out.size();) {
    before = out.size();
    std::this_thread::sleep_for(1000ms);
    http_client c(a.port);
    out.clear();
    for (const auto& e : all_events(c, a.key, "&type=send")) ++out[s(e.at("recipient"))];
  }
  return out;
}

/// One job's outcome: one attempt per destination, the counts adding up.
void check_job(const api& a, const std::string& job, const json::value& status, int total) {
  INFO("job " << job << ": " << json::serialize(status));
  const int sent = status.at("sent").to_number<int>(),
            failed = status.at("failed").to_number<int>(),
            suppressed = status.at("suppressed").to_number<int>();
  CHECK(sent + failed + suppressed == total);
  std::map<std::string, int> per_rcpt;
  int n_sent = 0;
  const auto attempts = attempts_of(a, job);
  for (const auto& x : attempts) {
    if (x.at("status") == "sent") ++n_sent;
    for (const auto& r : x.at("recipients").as_array()) ++per_rcpt[s(r)];
    for (const auto& r : x.at("suppressed").as_array()) ++per_rcpt[s(r.at("address"))];
  }
  CHECK(attempts.size() == static_cast<std::size_t>(total));
  CHECK(n_sent == sent);
  CHECK(per_rcpt.size() == static_cast<std::size_t>(total));
  for (const auto& [r, n] : per_rcpt) {
    INFO(r);
    CHECK(n == 1);
  }
}
}  // namespace

TEST_CASE("bulk: a job resumes on the surviving node after a SIGKILL and nobody is sent twice",
          "[scale][bulk]") {
  temp_dir dir;
  scale_db db(dir.path, "bulk");
  const auto key = create_workspace(db.url(), "acme").key;
  // 50/s: a batch of 50 a second, so the 300-destination job is mid-way when node 1 dies. The lease
  // (3 s) outlasts a batch, so a live worker keeps its job; a dead one's is taken over 3 s after
  // its last renewal.
  auto flags = redis_flags(dir.path);  // one send-rate bucket for both nodes when Redis is up
  flags.insert(flags.end(), {"--simulator-rate", "50", "--test-bulk-lease-ms", "3000"});
  fleet nodes(dir.path, db.url(), 2, flags, 1);  // node 2 starts later
  const api a1{nodes.port(0), key};
  REQUIRE(a1.post("/suppression-list", {{"address", "first-user3@example.com"}}).status == 201);
  // Stored templates (issue #20): a bulk job names one the simulator keeps.
  REQUIRE(a1.post("/templates",
                  {{"name", "newsletter"}, {"subject", "Issue {{n}}"}, {"text", "#{{n}}"}})
              .status == 201);
  const int total = 300;
  auto r = a1.post("/mail/bulk", bulk_body("first", total));
  REQUIRE(r.status == 202);
  const auto id = s(parse(r).at("id"));
  wait_bulk(a1, id, [](const json::value& v) { return v.at("sent").to_number<int>() >= 49; });

  // Node 2 is up before node 1 dies; node 1 holds the job and does not come back until it is done.
  nodes.start(1);
  const auto before = parse(a1.get("/mail/bulk/" + id));
  INFO("at the kill: " << json::serialize(before));
  REQUIRE(before.at("status") == "running");  // mid-job: the rest is node 2's to send
  nodes.kill(0);
  const api a2{nodes.port(1), key};
  const auto done =
      wait_bulk(a2, id, [](const json::value& v) { return v.at("status") == "done"; });
  CHECK(done.at("suppressed") == 1);
  check_job(a2, "first", done, total);

  // Both nodes up, three more jobs queued at once through both: each sent once, by one of them.
  nodes.start(0);
  const api b1{nodes.port(0), key};
  std::vector<std::pair<std::string, std::string>> jobs;  // correlation id, job id
  for (int j = 0; j < 3; ++j) {
    const std::string job = "more" + std::to_string(j);
    auto q = (j % 2 ? a2 : b1).post("/mail/bulk", bulk_body(job, 60));
    REQUIRE(q.status == 202);
    jobs.emplace_back(job, s(parse(q).at("id")));
  }
  for (const auto& [job, jid] : jobs) {
    const auto st =
        wait_bulk(b1, jid, [](const json::value& v) { return v.at("status") == "done"; });
    CHECK(st.at("failed") == 0);  // no node died: nothing in doubt
    check_job(a2, job, st, 60);
  }

  // The simulator's Send events: nobody twice, the suppressed address never.
  const auto sent_to = sends(b1);
  for (const auto& [rcpt, n] : sent_to) {
    INFO(rcpt);
    CHECK(n == 1);
  }
  CHECK(sent_to.count("first-user3@example.com") == 0);
  INFO(nodes.logs());
  CHECK(sent_to.size() <= static_cast<std::size_t>(total - 1 + 3 * 60));
  CHECK(sent_to.size() >= static_cast<std::size_t>(3 * 60));
}

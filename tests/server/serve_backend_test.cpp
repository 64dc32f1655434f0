// `sesami serve` end to end on the backend under test (server:* on an SQLite file, server:pg:* on
// a PostgreSQL schema through test_db): an EventBridge event ingested over HTTP, a send through the
// simulator (POST /mail) whose events come back through ingestion, its attempt listed, an
// Idempotency-Key honoured, and everything there again after a restart.
#include <chrono>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

TEST_CASE("serve: ingests over HTTP and sends through the simulator, across a restart",
          "[mail][serve]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  auto made = run_sesami({"workspace", "create", "Acme", "--db", db, "--json"});
  REQUIRE(made.status == 0);
  const auto w = json::parse(made.out);
  const auto key = s(w.at("apiKey")), token = s(w.at("ingestToken"));
  const auto secret = s(w.at("ingestSecret"));
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db}).status ==
          0);
  const std::vector<std::pair<std::string, std::string>> auth{{"Authorization", "Bearer " + key},
                                                              {"Content-Type", "application/json"}};

  std::string message_id;
  {
    server_process srv(dir.path);
    http_client c(srv.port());
    auto in =
        c.request("POST", "/ingest/eventbridge/" + token,
                  read_file(std::string(SESAMI_FIXTURES_DIR) + "/eventbridge/event-send.json"),
                  {{"X-Sesami-Secret", secret}});
    INFO(in.body);
    REQUIRE(in.status == 200);

    json::object mail{{"from", "Shop <shop@example.com>"},
                      {"to", json::array{"success@simulator.amazonses.com"}},
                      {"subject", "Hello"},
                      {"text", "Hi there"}};
    auto idem = auth;
    idem.emplace_back("Idempotency-Key", "order-1");
    auto sent = c.request("POST", "/mail", json::serialize(mail), idem);
    INFO(sent.body);
    REQUIRE(sent.status == 200);
    message_id = s(parse(sent).at("messageId"));
    auto again = c.request("POST", "/mail", json::serialize(mail), idem);  // the same answer
    REQUIRE(again.status == 200);
    CHECK(s(parse(again).at("messageId")) == message_id);

    // The simulator's send and delivery events arrive through ingestion.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (;;) {
      auto r = c.request("GET", "/events?messageId=" + message_id, "", auth);
      REQUIRE(r.status == 200);
      if (parse(r).at("events").as_array().size() >= 2) break;
      if (std::chrono::steady_clock::now() > deadline) FAIL("no events for " << message_id);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(srv.stop() == 0);
  }

  server_process srv(dir.path);
  http_client c(srv.port());
  auto all = c.request("GET", "/events?limit=100", "", auth);
  REQUIRE(all.status == 200);
  CHECK(parse(all).at("events").as_array().size() == 3);  // the ingested one + send + delivery
  auto atts = c.request("GET", "/mail/attempts", "", auth);
  REQUIRE(atts.status == 200);
  const auto atts_v = parse(atts);
  const auto& list = atts_v.at("attempts").as_array();
  REQUIRE(list.size() == 1);  // the Idempotency-Key retry sent nothing
  CHECK(s(list[0].at("status")) == "sent");
  CHECK(s(list[0].at("messageId")) == message_id);
}

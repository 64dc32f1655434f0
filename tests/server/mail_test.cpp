// Sending over a real server (issue #5): the mailbox simulator's events through the normal
// ingestion path, suppression, one-click unsubscribe, idempotency, header injection, throttling
// retries, and bulk sends that survive a restart (graceful and SIGKILL) without sending twice.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

std::string create_workspace(const std::string& db, const std::string& name) {
  auto r = run_sesami({"workspace", "create", name, "--db", db, "--json"});
  REQUIRE(r.status == 0);
  return s(json::parse(r.out).at("apiKey"));
}

struct client {
  http_client c;
  std::string key;
  headers h(std::vector<std::pair<std::string, std::string>> extra = {}) const {
    headers out{{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }
  http_response post(const std::string& path, const json::value& body, headers extra = {}) {
    return c.request("POST", path, json::serialize(body), h(std::move(extra)));
  }
  http_response get(const std::string& path) { return c.request("GET", path, "", h()); }
};

json::object simple(std::vector<std::string> to, std::string subject = "Hello") {
  json::array a;
  for (auto& t : to) a.push_back(json::value(t));
  return {{"from", "Shop <shop@example.com>"},
          {"to", std::move(a)},
          {"subject", std::move(subject)},
          {"text", "Hi there"}};
}

/// The events of a message, polled until `want` types are all there (or 15 s pass).
json::array events_of(client& c, const std::string& message_id, std::set<std::string> want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  json::array evs;
  for (;;) {
    auto r = c.get("/events?messageId=" + message_id + "&limit=100");
    REQUIRE(r.status == 200);
    evs = parse(r).at("events").as_array();
    std::set<std::string> have;
    for (const auto& e : evs) have.insert(s(e.at("type")));
    if (std::includes(have.begin(), have.end(), want.begin(), want.end())) return evs;
    if (std::chrono::steady_clock::now() > deadline) {
      FAIL("events of " << message_id << " did not arrive: " << json::serialize(evs));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::multiset<std::string> types(const json::array& evs) {
  std::multiset<std::string> t;
  for (const auto& e : evs) t.insert(s(e.at("type")));
  return t;
}

json::array all_attempts(client& c) {
  json::array out;
  std::string cursor;
  for (;;) {
    auto r = c.get("/mail/attempts?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto v = parse(r);
    for (auto& a : v.at("attempts").as_array()) out.push_back(a);
    if (v.at("next").is_null()) return out;
    cursor = s(v.at("next"));
  }
}

}  // namespace

TEST_CASE("mail: each simulator address gives SES's events through ingestion", "[mail]") {
  temp_dir dir;
  const auto key = create_workspace(test_db(dir.path), "Acme");
  server_process srv(dir.path);
  client c{http_client(srv.port()), key};

  struct expect {
    std::string to;
    std::multiset<std::string> types;
  };
  const expect cases[] = {
      {"success@simulator.amazonses.com", {"send", "delivery"}},
      {"bounce@simulator.amazonses.com", {"send", "bounce"}},
      {"ooto@simulator.amazonses.com", {"send", "delivery"}},
      {"complaint@simulator.amazonses.com", {"send", "delivery", "complaint"}},
      {"suppressionlist@simulator.amazonses.com", {"send", "bounce"}},
      {"someone@example.org", {"send", "delivery"}},
  };
  std::map<std::string, json::array> got;
  for (const auto& e : cases) {
    auto body = simple({e.to});
    body["correlationId"] = "order-42";
    body["tags"] = {{"campaign", "welcome"}};
    auto r = c.post("/mail", body);
    INFO(e.to << ": " << r.body);
    REQUIRE(r.status == 200);
    const auto v = parse(r);
    CHECK(s(v.at("transport")) == "simulator");
    CHECK(v.at("sent").as_array() == json::array{json::value(e.to)});
    CHECK(s(v.at("correlationId")) == "order-42");
    const auto mid = s(v.at("messageId"));
    // SES's message id shape: 16 hex digits, a UUID, -000000.
    CHECK(mid.size() == 16 + 1 + 36 + 7);
    CHECK(mid.substr(0, 4) == "0100");
    CHECK(mid.substr(mid.size() - 7) == "-000000");
    std::set<std::string> want(e.types.begin(), e.types.end());
    got[e.to] = events_of(c, mid, want);
  }
  // Nothing more arrives later (an out-of-office reply is not an SES event).
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  for (const auto& e : cases) {
    auto evs = events_of(c, s(got[e.to].at(0).at("messageId")), {});
    INFO(e.to << ": " << json::serialize(evs));
    CHECK(types(evs) == e.types);
    for (const auto& ev : evs) {
      CHECK(s(ev.at("recipient")) == e.to);
      CHECK(ev.at("tags").at("sesami-correlation-id").at(0) == "order-42");
      CHECK(ev.at("tags").at("sesami-workspace").at(0) == "acme");
      CHECK(ev.at("tags").at("campaign").at(0) == "welcome");
      CHECK(s(ev.at("configurationSet")) == "sesami-simulator");
      CHECK(s(ev.at("sender")) == "shop@example.com");
      CHECK(s(ev.at("subject")) == "Hello");
      if (s(ev.at("type")) == "bounce") {
        const auto& b = ev.at("bounce");
        CHECK(s(b.at("type")) == "Permanent");
        CHECK(s(b.at("status")) == "5.1.1");
        if (e.to.starts_with("bounce@")) {
          CHECK(s(b.at("subType")) == "General");
          CHECK(s(b.at("diagnosticCode")) == "smtp; 550 5.1.1 user unknown");
        } else {
          CHECK(s(b.at("subType")) == "OnAccountSuppressionList");
        }
      }
      if (s(ev.at("type")) == "complaint")
        CHECK(s(ev.at("complaint").at("feedbackType")) == "abuse");
    }
  }
  // The hard bounce and the complaint put their addresses on the suppression list (the normal
  // ingestion path did it); the next send there is refused with nothing sent.
  auto again = c.post("/mail", simple({"bounce@simulator.amazonses.com"}));
  REQUIRE(again.status == 422);
  CHECK(code_of(again) == "mail.all_suppressed");
  // Labels act like the bare address and are separate recipients: repeated tests stay possible.
  auto labelled = c.post("/mail", simple({"bounce+second@simulator.amazonses.com"}));
  REQUIRE(labelled.status == 200);
  events_of(c, s(parse(labelled).at("messageId")), {"send", "bounce"});
}

TEST_CASE("mail: suppressed recipients are removed, none left is a 422", "[mail]") {
  temp_dir dir;
  const auto key = create_workspace(test_db(dir.path), "Acme");
  server_process srv(dir.path);
  client c{http_client(srv.port()), key};
  REQUIRE(
      c.post("/suppression-list", {{"address", "gone@example.com"}, {"reason", "left"}}).status ==
      201);

  auto body = simple({"Gone <GONE@example.com>", "here@example.com"});
  body["correlationId"] = "c-1";
  auto r = c.post("/mail", body);
  REQUIRE(r.status == 200);
  const auto v = parse(r);
  CHECK(v.at("sent") == json::array{"here@example.com"});
  REQUIRE(v.at("suppressed").as_array().size() == 1);
  CHECK(v.at("suppressed").at(0).at("address") == "gone@example.com");
  CHECK(v.at("suppressed").at(0).at("reason") == "left");
  // One recipient left after suppression: it gets its own unsubscribe link.
  CHECK(v.at("listUnsubscribe").is_string());
  auto evs = events_of(c, s(v.at("messageId")), {"send", "delivery"});
  for (const auto& e : evs) CHECK(s(e.at("recipient")) == "here@example.com");

  auto none = c.post("/mail", simple({"gone@example.com"}));
  REQUIRE(none.status == 422);
  CHECK(code_of(none) == "mail.all_suppressed");
  CHECK(parse(none).at("error").at("suppressed").at(0).at("address") == "gone@example.com");

  auto attempts = parse(c.get("/mail/attempts")).at("attempts").as_array();
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].at("status") == "suppressed");  // newest first
  CHECK(attempts[0].at("messageId").is_null());
  CHECK(attempts[0].at("error").at("code") == "mail.all_suppressed");
  CHECK(attempts[1].at("status") == "sent");
  CHECK(attempts[1].at("messageId") == v.at("messageId"));
  CHECK(attempts[1].at("recipients") == json::array{"here@example.com"});
  CHECK(attempts[1].at("correlationId") == "c-1");
  CHECK(attempts[1].at("subject") == "Hello");
  // Keyset paging and the correlation filter.
  auto p1 = parse(c.get("/mail/attempts?limit=1"));
  REQUIRE(p1.at("next").is_string());
  auto p2 = parse(c.get("/mail/attempts?limit=1&cursor=" + s(p1.at("next"))));
  CHECK(p2.at("attempts").at(0).at("id") == attempts[1].at("id"));
  CHECK(p2.at("next").is_null());
  auto byc = parse(c.get("/mail/attempts?correlationId=c-1")).at("attempts").as_array();
  REQUIRE(byc.size() == 1);
  CHECK(c.get("/mail/attempts?cursor=xyz").status == 400);
  CHECK(c.get("/mail/attempts?typo=1").status == 400);

  // Several recipients stay one message without per-recipient unsubscribe headers.
  auto multi = c.post("/mail", simple({"a@example.com", "b@example.com"}));
  REQUIRE(multi.status == 200);
  CHECK(parse(multi).at("listUnsubscribe").is_null());
}

TEST_CASE("mail: one-click unsubscribe feeds the suppression list", "[mail]") {
  temp_dir dir;
  const auto key = create_workspace(test_db(dir.path), "Acme");
  server_process srv(dir.path, {"--public-url", "https://mail.example.net/"});
  client c{http_client(srv.port()), key};

  auto r = c.post("/mail", simple({"reader@example.com"}));
  REQUIRE(r.status == 200);
  const auto link = s(parse(r).at("listUnsubscribe"));
  const std::string base = "https://mail.example.net/unsubscribe/";
  REQUIRE(link.starts_with(base));
  const auto token = link.substr(base.size());
  const auto path = "/unsubscribe/" + token;
  auto listed = [&] {
    auto l = parse(c.get("/suppression-list?contains=reader")).at("entries").as_array();
    return l.size();
  };

  // GET: a confirmation page, no state change (link scanners follow GETs).
  http_client anon(srv.port());
  auto page = anon.request("GET", path);
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type").starts_with("text/html"));
  CHECK(page.body.find("reader@example.com") != std::string::npos);
  CHECK(page.body.find("<form method=\"post\"") != std::string::npos);
  CHECK(listed() == 0);

  // Tampered: another address under the same signature, a changed signature, garbage.
  const auto dot = token.find('.');
  std::string flipped = token;
  flipped[dot + 5] = flipped[dot + 5] == 'A' ? 'B' : 'A';
  const std::string other_payload = "YWNtZQBib3NzQGV4YW1wbGUuY29t";  // "acme\0boss@example.com"
  for (const auto& bad : {flipped, other_payload + token.substr(dot), std::string("nonsense")}) {
    auto x = anon.request("POST", "/unsubscribe/" + bad, "List-Unsubscribe=One-Click",
                          {{"Content-Type", "application/x-www-form-urlencoded"}});
    INFO(bad);
    CHECK(x.status == 400);
    CHECK(code_of(x) == "unsubscribe.bad_token");
    CHECK(anon.request("GET", "/unsubscribe/" + bad).status == 400);
  }
  CHECK(parse(c.get("/suppression-list")).at("entries").as_array().empty());
  // RFC 8058's body is required.
  CHECK(anon.request("POST", path, "", {{"Content-Type", "application/x-www-form-urlencoded"}})
            .status == 400);
  CHECK(listed() == 0);

  auto ok = anon.request("POST", path, "List-Unsubscribe=One-Click",
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(ok.status == 200);
  auto entries = parse(c.get("/suppression-list?contains=reader")).at("entries").as_array();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].at("address") == "reader@example.com");
  CHECK(entries[0].at("reason") == "unsubscribe");
  // Twice is fine (a mail client may retry).
  CHECK(anon.request("POST", path, "List-Unsubscribe=One-Click").status == 200);

  auto next = c.post("/mail", simple({"reader@example.com", "other@example.com"}));
  REQUIRE(next.status == 200);
  CHECK(parse(next).at("sent") == json::array{"other@example.com"});
  CHECK(parse(next).at("suppressed").at(0).at("reason") == "unsubscribe");
  auto none = c.post("/mail", simple({"reader@example.com"}));
  CHECK(none.status == 422);
}

TEST_CASE("mail: Idempotency-Key sends once and refuses another body", "[mail]") {
  temp_dir dir;
  const auto key = create_workspace(test_db(dir.path), "Acme");
  server_process srv(dir.path);
  client c{http_client(srv.port()), key};

  const auto body = simple({"once@example.com"});
  auto a = c.post("/mail", body, {{"Idempotency-Key", "order-7-receipt"}});
  auto b = c.post("/mail", body, {{"Idempotency-Key", "order-7-receipt"}});
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  CHECK(a.header("idempotent-replayed").empty());
  CHECK(b.header("idempotent-replayed") == "true");
  CHECK(parse(a).at("messageId") == parse(b).at("messageId"));
  CHECK(parse(a).at("attemptId") == parse(b).at("attemptId"));

  auto other =
      c.post("/mail", simple({"twice@example.com"}), {{"Idempotency-Key", "order-7-receipt"}});
  CHECK(other.status == 409);
  CHECK(code_of(other) == "mail.idempotency_mismatch");

  // An all-suppressed answer is replayed too.
  REQUIRE(c.post("/suppression-list", {{"address", "no@example.com"}}).status == 201);
  auto s1 = c.post("/mail", simple({"no@example.com"}), {{"Idempotency-Key", "k2"}});
  auto s2 = c.post("/mail", simple({"no@example.com"}), {{"Idempotency-Key", "k2"}});
  CHECK(s1.status == 422);
  CHECK(s2.status == 422);
  CHECK(s2.header("idempotent-replayed") == "true");

  // Keys are per workspace: the same key elsewhere is a new request.
  const auto key2 = create_workspace(test_db(dir.path), "Beta");
  client c2{http_client(srv.port()), key2};
  auto elsewhere = c2.post("/mail", body, {{"Idempotency-Key", "order-7-receipt"}});
  REQUIRE(elsewhere.status == 200);
  CHECK(parse(elsewhere).at("messageId") != parse(a).at("messageId"));

  CHECK(c.post("/mail", body, {{"Idempotency-Key", std::string(300, 'k')}}).status == 400);

  auto attempts = parse(c.get("/mail/attempts")).at("attempts").as_array();
  CHECK(attempts.size() == 2);  // one send, one all-suppressed
  auto evs = events_of(c, s(parse(a).at("messageId")), {"send", "delivery"});
  CHECK(types(evs).count("send") == 1);
  auto sends = parse(c.get("/events?type=send")).at("events").as_array();
  CHECK(sends.size() == 1);
}

TEST_CASE("mail: header injection and malformed requests are refused", "[mail]") {
  temp_dir dir;
  const auto key = create_workspace(test_db(dir.path), "Acme");
  server_process srv(dir.path);
  client c{http_client(srv.port()), key};

  auto refused = [&](json::object body, const std::string& code) {
    auto r = c.post("/mail", body);
    INFO(json::serialize(body) << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(code_of(r) == code);
  };
  auto with = [](const char* k, json::value v) {
    auto b = simple({"to@example.com"});
    b[k] = std::move(v);
    return b;
  };
  refused(with("subject", "Hi\r\nBcc: victim@example.com"), "validation.subject");
  refused(with("subject", "Hi\nX-Evil: 1"), "validation.subject");
  refused(with("from", "me@example.com\r\nBcc: victim@example.com"), "validation.from");
  refused(with("from", "not an address"), "validation.from");
  refused(with("to", json::array{"a@example.com\r\nBcc: b@example.com"}), "validation.to");
  refused(with("replyTo", json::array{"x@example.com\nCc: y@example.com"}), "validation.replyTo");
  refused(with("cc", json::array{"nope"}), "validation.cc");
  refused(with("attachments", json::array{{{"filename", "a.txt\r\nContent-Type: text/html"},
                                           {"content", "aGk="}}}),
          "validation.attachments");
  refused(with("attachments", json::array{{{"filename", "a.txt"}, {"content", "***"}}}),
          "validation.attachments");
  refused(with("correlationId", "has spaces"), "validation.correlationId");
  refused(with("correlationId", "a.b"), "validation.correlationId");
  refused(with("tags", {{"bad name", "x"}}), "validation.tags");
  refused(with("tags", {{"sesami-workspace", "other"}}), "validation.tags");
  refused(with("raw", "aGk="), "validation.content");  // raw and subject together
  refused(with("unknown", 1), "validation.field");
  json::array many;
  for (int i = 0; i < 51; ++i)
    many.push_back(json::value("r" + std::to_string(i) + "@example.com"));
  refused(with("to", many), "validation.to");
  json::object no_body{
      {"from", "a@example.com"}, {"to", json::array{"b@example.com"}}, {"subject", "s"}};
  refused(no_body, "validation.text");

  // The good forms pass: attachments, raw MIME, template.
  auto att = with(
      "attachments",
      json::array{{{"filename", "a.txt"}, {"contentType", "text/plain"}, {"content", "aGVsbG8="}}});
  CHECK(c.post("/mail", att).status == 200);
  json::object raw{{"from", "a@example.com"},
                   {"to", json::array{"b@example.com"}},
                   // "Subject: Raw\r\n\r\nbody"
                   {"raw", "U3ViamVjdDogUmF3DQoNCmJvZHk="}};
  auto rr = c.post("/mail", raw);
  REQUIRE(rr.status == 200);
  REQUIRE(c.post("/templates", {{"name", "welcome"}, {"subject", "Hi {{name}}"}, {"text", "x"}})
              .status == 201);
  json::object tmpl{{"from", "a@example.com"},
                    {"to", json::array{"b@example.com"}},
                    {"template", {{"name", "welcome"}, {"data", {{"name", "Ann"}}}}}};
  CHECK(c.post("/mail", tmpl).status == 200);
  // Nothing refused was recorded as an attempt.
  CHECK(parse(c.get("/mail/attempts")).at("attempts").as_array().size() == 3);
  // Viewers may read attempts but not send.
  auto viewer = c.post("/api-keys", {{"role", "viewer"}});
  REQUIRE(viewer.status == 201);
  client v{http_client(srv.port()), s(parse(viewer).at("key"))};
  CHECK(v.post("/mail", simple({"x@example.com"})).status == 403);
  CHECK(v.get("/mail/attempts").status == 200);
  http_client anon(srv.port());
  CHECK(anon.request("POST", "/mail", json::serialize(simple({"x@example.com"})),
                     {{"Content-Type", "application/json"}})
            .status == 401);
}

TEST_CASE("mail: throttling is retried with backoff, then answered 503", "[mail]") {
  SECTION("two throttled calls, then success") {
    temp_dir dir;
    const auto key = create_workspace(test_db(dir.path), "Acme");
    server_process srv(dir.path, {"--test-simulator-throttle", "2", "--test-mail-backoff-ms", "5"});
    client c{http_client(srv.port()), key};
    auto r = c.post("/mail", simple({"x@example.com"}));
    REQUIRE(r.status == 200);
    auto at = parse(c.get("/mail/attempts")).at("attempts").as_array();
    REQUIRE(at.size() == 1);
    CHECK(at[0].at("status") == "sent");
  }
  SECTION("throttled beyond the retries: 503, recorded failed, key released") {
    temp_dir dir;
    const auto key = create_workspace(test_db(dir.path), "Acme");
    server_process srv(dir.path, {"--test-simulator-throttle", "4", "--test-mail-backoff-ms", "5"});
    client c{http_client(srv.port()), key};
    auto r = c.post("/mail", simple({"x@example.com"}), {{"Idempotency-Key", "k"}});
    REQUIRE(r.status == 503);
    CHECK(code_of(r) == "mail.throttled");
    CHECK_FALSE(r.header("retry-after").empty());
    auto at = parse(c.get("/mail/attempts")).at("attempts").as_array();
    REQUIRE(at.size() == 1);
    CHECK(at[0].at("status") == "failed");
    CHECK(at[0].at("error").at("code") == "mail.throttled");
    CHECK(at[0].at("messageId").is_null());
    // Nothing was sent, so the key was released: a retry under the same key goes out (the
    // simulator answers again after its 4 injected throttles, one per try).
    auto again = c.post("/mail", simple({"x@example.com"}), {{"Idempotency-Key", "k"}});
    REQUIRE(again.status == 200);
    CHECK(again.header("idempotent-replayed").empty());
    CHECK(parse(c.get("/mail/attempts")).at("attempts").as_array().size() == 2);
  }
  SECTION("the token bucket holds sends to the configured rate") {
    temp_dir dir;
    const auto key = create_workspace(test_db(dir.path), "Acme");
    server_process srv(dir.path, {"--simulator-rate", "2"});
    client c{http_client(srv.port()), key};
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) REQUIRE(c.post("/mail", simple({"x@example.com"})).status == 200);
    // Two tokens at once, then one every 500 ms: at least 1.5 s (a lower bound only).
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(1400));
  }
}

namespace {
json::object bulk_body(int n) {
  json::array d;
  for (int i = 0; i < n; ++i)
    d.push_back({{"to", json::array{json::value("user" + std::to_string(i) + "@example.com")}},
                 {"data", {{"n", i}}}});
  return {{"from", "news@example.com"},
          {"template", {{"name", "newsletter"}, {"data", {{"n", 0}}}}},
          {"destinations", std::move(d)},
          {"correlationId", "nl-1"}};
}
// The stored template bulk_body names (the simulator's sends need it, as SES's would).
void make_newsletter(client& c) {
  REQUIRE(
      c.post("/templates", {{"name", "newsletter"}, {"subject", "Issue {{n}}"}, {"text", "#{{n}}"}})
          .status == 201);
}
json::value wait_bulk(client& c, const std::string& id,
                      std::function<bool(const json::value&)> ok) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto r = c.get("/mail/bulk/" + id);
    REQUIRE(r.status == 200);
    auto v = parse(r);
    if (ok(v)) return v;
    if (std::chrono::steady_clock::now() > deadline) FAIL("bulk job stuck: " << r.body);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}
/// Recipients of the stored Send events, with how many times each was sent.
std::map<std::string, int> sends(client& c) {
  std::map<std::string, int> out;
  auto v = parse(c.get("/events?type=send&limit=1000"));
  for (const auto& e : v.at("events").as_array()) ++out[s(e.at("recipient"))];
  return out;
}
}  // namespace

TEST_CASE("mail: bulk sends resume after a restart and never send twice", "[mail]") {
  temp_dir dir;
  const auto key = create_workspace(test_db(dir.path), "Acme");
  const int total = 200;
  const bool hard = GENERATE(false, true);
  INFO((hard ? "SIGKILL" : "SIGTERM"));
  // 25/s: a batch of 50 every 2 s, so the job is mid-way when the server goes down.
  const std::vector<std::string> flags{"--simulator-rate", "25", "--test-bulk-lease-ms", "1000"};
  std::string id;
  {
    server_process srv(dir.path, flags);
    client c{http_client(srv.port()), key};
    REQUIRE(c.post("/suppression-list", {{"address", "user3@example.com"}}).status == 201);
    make_newsletter(c);
    auto r = c.post("/mail/bulk", bulk_body(total));
    REQUIRE(r.status == 202);
    id = s(parse(r).at("id"));
    CHECK(parse(r).at("total") == total);
    wait_bulk(c, id, [](const json::value& v) { return v.at("sent").to_number<int>() >= 49; });
    if (hard)
      srv.kill_hard();
    else
      REQUIRE(srv.stop() == 0);
  }
  server_process srv(dir.path, flags);
  client c{http_client(srv.port()), key};
  auto done = wait_bulk(c, id, [](const json::value& v) { return v.at("status") == "done"; });
  const int sent = done.at("sent").to_number<int>(), failed = done.at("failed").to_number<int>(),
            suppressed = done.at("suppressed").to_number<int>();
  CHECK(sent + failed + suppressed == total);
  CHECK(suppressed == 1);
  if (!hard) CHECK(failed == 0);

  // Exactly one attempt per destination, whatever the crash point.
  auto attempts = all_attempts(c);
  std::map<std::string, int> per_rcpt;
  int n_sent = 0;
  for (const auto& a : attempts) {
    CHECK(a.at("bulkId") == json::value(id));
    CHECK(a.at("correlationId") == "nl-1");
    if (a.at("status") == "sent") ++n_sent;
    for (const auto& r : a.at("recipients").as_array()) ++per_rcpt[s(r)];
    for (const auto& r : a.at("suppressed").as_array()) ++per_rcpt[s(r.at("address"))];
  }
  CHECK(attempts.size() == static_cast<std::size_t>(total));
  CHECK(n_sent == sent);
  CHECK(per_rcpt.size() == static_cast<std::size_t>(total));
  for (const auto& [r, n] : per_rcpt) CHECK(n == 1);

  // The simulator's Send events: nobody twice; after a graceful stop, everyone sent has one.
  // (Ingestion is asynchronous: wait until the Send events stop arriving.)
  auto s_events = sends(c);
  for (std::size_t before = SIZE_MAX; before != s_events.size();) {
    before = s_events.size();
    if (!hard && s_events.size() == static_cast<std::size_t>(sent)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    s_events = sends(c);
  }
  for (const auto& [r, n] : s_events) {
    INFO(r);
    CHECK(n == 1);
  }
  CHECK(s_events.count("user3@example.com") == 0);
  if (hard)
    CHECK(s_events.size() <= static_cast<std::size_t>(sent + failed));
  else
    CHECK(s_events.size() == static_cast<std::size_t>(sent));
  CHECK(c.get("/mail/bulk/nope").status == 404);
}

TEST_CASE("mail: bulk requests are validated", "[mail]") {
  temp_dir dir;
  const auto key = create_workspace(test_db(dir.path), "Acme");
  server_process srv(dir.path);
  client c{http_client(srv.port()), key};
  make_newsletter(c);
  auto b = bulk_body(2);
  b.erase("template");
  CHECK(code_of(c.post("/mail/bulk", b)) == "validation.template");
  b = bulk_body(0);
  CHECK(code_of(c.post("/mail/bulk", b)) == "validation.destinations");
  b = bulk_body(1);
  b["destinations"].as_array()[0].as_object()["to"] = json::array{"x@example.com\r\nBcc: y@z.com"};
  CHECK(code_of(c.post("/mail/bulk", b)) == "validation.destinations");
  // Another workspace cannot read the job.
  auto ok = c.post("/mail/bulk", bulk_body(3));
  REQUIRE(ok.status == 202);
  const auto key2 = create_workspace(test_db(dir.path), "Beta");
  client c2{http_client(srv.port()), key2};
  CHECK(c2.get("/mail/bulk/" + s(parse(ok).at("id"))).status == 404);
}

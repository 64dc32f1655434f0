// The bad-input catalogue, through a real server and the real CLI: truncated and invalid JSON,
// wrong types in every field, huge numbers and strings, deep nesting, invalid UTF-8, duplicate
// keys, missing `mail`, unknown event types, odd timestamps, header injection in POST /mail, path
// traversal in static files, oversized bodies and slow clients. Each gets a clear 4xx with a JSON
// error (or a CLI message naming file and line), nothing is stored half, and the server stays up.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <sesami/detail/iso8601.hpp>
#include <sesami/parse.hpp>
#include <sesami/to_json.hpp>

#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {

// A server with one workspace whose AWS account is connected, so EventBridge bodies reach the
// parser; every refused body's message id is remembered and must never show up stored.
struct harness {
  temp_dir dir;
  workspace_secrets ws;
  std::unique_ptr<server_process> srv;
  std::unique_ptr<http_client> c;
  std::set<std::string> refused_ids;
  std::size_t accepted = 0;
  int counter = 0;

  explicit harness(std::vector<std::string> extra = {}) {
    const auto db = dir.path / "sesami.db";
    ws = create_workspace(db, "acme");
    REQUIRE(
        run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
            .status == 0);
    srv = std::make_unique<server_process>(dir.path, std::move(extra));
    c = std::make_unique<http_client>(srv->port());
  }
  http_response post(const std::string& body, const headers& h = {}) {
    headers all = h;
    all.emplace_back("X-Sesami-Secret", ws.secret);
    try {
      return c->request("POST", "/ingest/eventbridge/" + ws.token, body, all);
    } catch (const std::exception&) {
      // The server closed the connection after an error answer: reconnect and retry once.
      c = std::make_unique<http_client>(srv->port());
      return c->request("POST", "/ingest/eventbridge/" + ws.token, body, all);
    }
  }
  bool healthy() { return http_client(srv->port()).request("GET", "/health").status == 200; }
  std::string fresh_id() { return "bad-input-" + std::to_string(++counter); }
};

// The answer to a refused request: a 4xx with {"error": {"code", "message"}} and a request id.
void check_clear_refusal(const http_response& r, int status = 400) {
  INFO(r.status << " " << r.body.substr(0, 300));
  CHECK(r.status == status);
  REQUIRE(r.header("content-type").starts_with("application/json"));
  const auto v = json::parse(r.body);
  const auto& e = v.at("error");
  CHECK_FALSE(e.at("code").as_string().empty());
  CHECK_FALSE(e.at("message").as_string().empty());
  CHECK_FALSE(r.header("x-request-id").empty());
}

json::value delivery() { return json::parse(fixture("eventbridge/event-delivery.json")); }

// Every leaf and object under `v`, by JSON pointer.
void walk(const json::value& v, const std::string& at, std::vector<std::string>& out) {
  if (!at.empty()) out.push_back(at);
  if (v.is_object())
    for (const auto& kv : v.as_object()) walk(kv.value(), at + "/" + std::string(kv.key()), out);
  else if (v.is_array())
    for (std::size_t i = 0; i < v.as_array().size(); ++i)
      walk(v.as_array()[i], at + "/" + std::to_string(i), out);
}

json::value* find(json::value& v, const std::string& pointer) {
  boost::system::error_code ec;
  auto* p = v.find_pointer(pointer, ec);
  return ec ? nullptr : p;
}

void set_id(json::value& v, const std::string& mid) {
  auto& mail = v.at("detail").at("mail").as_object();
  if (mail.at("messageId").is_string()) mail["messageId"] = mid;
  if (auto* ch = mail.if_contains("commonHeaders"); ch && ch->is_object())
    ch->as_object()["messageId"] = mid;
}
}  // namespace

TEST_CASE("bad input: malformed bodies are 400 with a JSON error and store nothing",
          "[proof][bad_input]") {
  harness h;
  const std::string good = fixture("eventbridge/event-delivery.json");
  std::vector<std::pair<std::string, std::string>> cases = {
      {"empty body", ""},
      {"not JSON", "{not json"},
      {"JSON null", "null"},
      {"a number", "12345"},
      {"a string", "\"Delivery\""},
      {"an array", "[]"},
      {"trailing garbage", good + "}}"},
      {"two documents", good + good},
      {"NUL byte", good.substr(0, 40) + std::string(1, '\0') + good.substr(40)},
      {"deep nesting (array)", std::string(5000, '[') + std::string(5000, ']')},
      {"deep nesting (in detail)", R"({"account":"123456789012","detail":)" +
                                       std::string(200, '[') + std::string(200, ']') + "}"},
      {"invalid UTF-8 in a key", "{\"acc\xff\":1}"},
      {"missing mail", R"({"account":"123456789012","source":"aws.ses","detail-type":"x",)"
                       R"("detail":{"eventType":"Send","send":{}}})"},
      {"missing detail", R"({"account":"123456789012","source":"aws.ses"})"},
      {"detail not an object", R"({"account":"123456789012","detail":"Delivery"})"},
      {"account a number", R"({"account":123456789012,"detail":{}})"},
  };
  // Truncated at a spread of places, from the first byte to the last.
  for (std::size_t cut : {1, 2, 10, 57, 100, 400, 800, 1500})
    if (cut < good.size())
      cases.emplace_back("truncated at " + std::to_string(cut), good.substr(0, cut));
  cases.emplace_back("truncated by one byte", good.substr(0, good.rfind('}')));

  for (const auto& [name, body] : cases) {
    INFO(name);
    check_clear_refusal(h.post(body));
  }
  // Invalid UTF-8 inside string values: every refused, none half-stored.
  for (const char* bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80"}) {
    auto v = delivery();
    const auto id = h.fresh_id();
    set_id(v, id);
    auto body = json::serialize(v);
    const auto at = body.find("recipient@example.com");
    body.insert(at + 3, bad);
    INFO("invalid UTF-8 " << json::serialize(json::value(std::string(bad).size())));
    check_clear_refusal(h.post(body));
    h.refused_ids.insert(id);
  }
  CHECK(h.healthy());
  http_client fresh(h.srv->port());
  CHECK(all_events(fresh, h.ws.key).empty());
}

TEST_CASE("bad input: a wrong type in any field is a clear 400 or harmless; never a 5xx",
          "[proof][bad_input]") {
  harness h;
  std::vector<std::string> paths;
  walk(delivery(), "", paths);
  const json::value wrong[] = {
      json::value(nullptr), json::value(true),          json::value(-1),
      json::value("x"),     json::value(json::array{}), json::value(json::object{})};
  // Fields an EventBridge SES event cannot do without. Others have a documented fallback
  // (docs/events.md): the type from detail-type, recipients from mail.destination and back, the
  // event time from mail.timestamp; or are not read at all (headers, tags, ARNs).
  const std::set<std::string> required = {"/account", "/detail", "/detail/mail",
                                          "/detail/mail/messageId"};
  std::map<std::string, std::string> stored_by_id;  // accepted variants, to read back
  std::size_t refused = 0, accepted = 0;
  for (const auto& path : paths) {
    for (const auto& w : wrong) {
      auto v = delivery();
      const auto id = h.fresh_id();
      set_id(v, id);
      auto* slot = find(v, path);
      REQUIRE(slot);
      if (slot->kind() == w.kind() && !(w.is_string() && path.ends_with("eventType"))) continue;
      *slot = w;
      const auto r = h.post(json::serialize(v));
      INFO(path << " = " << json::serialize(w) << " → " << r.status << " " << r.body);
      REQUIRE(r.status < 500);
      if (r.status == 200) {
        ++accepted;
        CHECK_FALSE(required.count(path));
        CHECK(json::parse(r.body).at("stored").to_number<int>() <= 1);
        if (path != "/detail/mail/messageId" && path != "/detail/mail/commonHeaders" &&
            path != "/detail/mail/commonHeaders/messageId")
          stored_by_id[id] = path;
      } else {
        ++refused;
        check_clear_refusal(r);
        h.refused_ids.insert(id);
      }
    }
  }
  WARN("wrong types: " << paths.size() << " fields, " << refused << " variants refused, "
                       << accepted << " accepted (fields SESami does not read)");
  CHECK(refused > 0);
  CHECK(h.healthy());
  // Refused variants left nothing behind; accepted ones are whole events that read back.
  const auto events = all_events(*h.c, h.ws.key);
  std::set<std::string> ids;
  for (const auto& e : events) ids.insert(s(e.at("messageId")));
  for (const auto& id : h.refused_ids) CHECK(ids.count(id) == 0);
  for (const auto& e : events) CHECK(sesami::event_from_json(json::serialize(e)).has_value());
}

TEST_CASE("bad input: huge numbers and strings, duplicate keys, unknown types, odd timestamps",
          "[proof][bad_input]") {
  harness h;
  auto post_variant = [&](const std::function<void(json::value&)>& change,
                          std::string raw_replace_from = "", std::string raw_replace_to = "") {
    auto v = delivery();
    const auto id = h.fresh_id();
    set_id(v, id);
    change(v);
    auto body = json::serialize(v);
    if (!raw_replace_from.empty()) {
      const auto at = body.find(raw_replace_from);
      REQUIRE(at != std::string::npos);
      body.replace(at, raw_replace_from.size(), raw_replace_to);
    }
    auto r = h.post(body);
    if (r.status != 200) h.refused_ids.insert(id);
    return std::pair{r, id};
  };
  auto stored_doc = [&](const std::string& id) -> json::value {
    auto ev = all_events(*h.c, h.ws.key, "&messageId=" + id);
    REQUIRE(ev.size() == 1);
    return ev.front();
  };

  SECTION("huge numbers are refused or stored as sane values, never wrapped") {
    for (const char* n : {"1e400", "-1e400", "123456789012345678901234567890",
                          "-9223372036854775809", "18446744073709551616", "1e-400", "-0"}) {
      INFO(n);
      auto [r, id] = post_variant([](json::value&) {}, "\"processingTimeMillis\":11893",
                                  std::string("\"processingTimeMillis\":") + n);
      REQUIRE(r.status < 500);
      if (r.status != 200) {
        check_clear_refusal(r);
        continue;
      }
      const auto doc = stored_doc(id);
      if (const auto* d = doc.as_object().if_contains("delivery"))
        if (const auto* p = d->as_object().if_contains("processingTimeMillis"); p && p->is_int64())
          CHECK(p->as_int64() >= 0);  // a duration is never negative after a wrap
    }
  }
  SECTION("huge strings: up to the body limit they are kept whole, never cut short") {
    const std::string big(300'000, 'a');
    auto [r, id] = post_variant([&](json::value& v) {
      v.at("detail").at("delivery").at("recipients").as_array()[0] = big + "@example.com";
      v.at("detail").at("mail").at("destination").as_array()[0] = big + "@example.com";
    });
    REQUIRE(r.status < 500);
    if (r.status == 200) {
      const auto doc = stored_doc(id);
      CHECK(doc.at("recipient").as_string().size() == big.size() + 12);  // not cut short
    } else {
      check_clear_refusal(r);
    }
    // Beyond the body limit (1 MiB by default) nothing is read: "oversized bodies" below.
  }
  SECTION("duplicate keys: one reading, never two events from one object") {
    auto [r, id] = post_variant([](json::value&) {}, "\"eventType\":\"Delivery\"",
                                "\"eventType\":\"Delivery\",\"eventType\":\"Bounce\"");
    REQUIRE(r.status < 500);
    if (r.status == 200) {
      CHECK(json::parse(r.body).at("events").to_number<int>() == 1);
      CHECK(all_events(*h.c, h.ws.key, "&messageId=" + id).size() == 1);
    } else {
      check_clear_refusal(r);
    }
  }
  SECTION("an unknown event type is kept as `unknown` with its document, counted in no rate") {
    // docs/events.md: AWS adds event types; a document SESami cannot read yet is kept, not lost.
    auto st0 = json::parse(h.c->request("GET", "/stats", "", bearer(h.ws.key)).body);
    for (const char* t : {"Teleport", "", "delivery ", "Delivery\t"}) {
      INFO(t);
      auto [r, id] = post_variant([&](json::value& v) {
        v.at("detail").as_object()["eventType"] = t;
        v.as_object()["detail-type"] = "Email Teleported";
      });
      REQUIRE(r.status == 200);
      const auto doc = stored_doc(id);
      CHECK(doc.at("type") == "unknown");
      CHECK(doc.at("raw").as_string().find("Email Teleported") != std::string::npos);
    }
    auto st1 = json::parse(h.c->request("GET", "/stats", "", bearer(h.ws.key)).body);
    CHECK(st1.at("totals").at("unknown").to_number<int>() == 4);
    CHECK(st1.at("rates") == st0.at("rates"));
  }
  SECTION("timestamps: ISO 8601 variants are read exactly, anything else is refused") {
    // Accepted forms must land on the same instant as the canonical one.
    const std::int64_t instant = *sesami::detail::parse_iso8601("2016-10-19T23:21:04.133Z");
    for (const char* ts : {"2016-10-19T23:21:04.133Z", "2016-10-20T01:21:04.133+02:00",
                           "2016-10-19T18:21:04.133-05:00", "2016-10-19T23:21:04.133000Z"}) {
      INFO(ts);
      auto [r, id] = post_variant(
          [&](json::value& v) { v.at("detail").at("delivery").as_object()["timestamp"] = ts; });
      REQUIRE(r.status < 500);
      if (r.status != 200) {
        check_clear_refusal(r);
        continue;
      }
      const auto doc = stored_doc(id);
      CHECK(*sesami::detail::parse_iso8601(std::string(doc.at("timestamp").as_string())) ==
            instant);
    }
    for (const char* ts :
         {"", "yesterday", "2016-13-01T00:00:00Z", "2016-02-30T00:00:00Z", "2016-10-19T25:00:00Z",
          "2016-10-19T23:61:00Z", "1476919264133", "2016-10-19T23:21:04.133Z garbage",
          "99999-10-19T23:21:04Z", "-2016-10-19T23:21:04Z", "2016-10-19T23:21:04+25:00"}) {
      INFO(ts);
      auto [r, id] = post_variant(
          [&](json::value& v) { v.at("detail").at("delivery").as_object()["timestamp"] = ts; });
      check_clear_refusal(r);
    }
    auto [r, id] = post_variant([&](json::value& v) {
      v.at("detail").at("delivery").as_object()["timestamp"] = 1476919264133;
    });
    check_clear_refusal(r);
  }
  CHECK(h.healthy());
  const auto events = all_events(*h.c, h.ws.key);
  for (const auto& e : events) CHECK(h.refused_ids.count(s(e.at("messageId"))) == 0);
}

TEST_CASE(
    "bad input: the CLI names file and line, exits non-zero, and stores nothing of a bad "
    "record",
    "[proof][bad_input]") {
  temp_dir dir;
  const auto db = (dir.path / "sesami.db").string();
  const std::string good = fixture("ses/event-delivery.json");
  const std::pair<std::string, std::string> cases[] = {
      {"truncated.json", good.substr(0, good.size() / 2)},
      {"types.json", R"({"eventType":"Delivery","mail":{"messageId":12,"timestamp":true}})"},
      {"missing-mail.json", R"({"eventType":"Send","send":{}})"},
      {"utf8.json", "{\"eventType\":\"Delivery\xff\"}"},
      {"deep.json", std::string(3000, '[') + std::string(3000, ']')},
  };
  for (const auto& [name, text] : cases) {
    INFO(name);
    write_file(dir.path / name, text);
    auto r = run_sesami_err({"import", "--db", db, (dir.path / name).string()});
    CHECK(r.status == 1);
    // "FILE:LINE: message", the line where the problem is.
    const auto prefix = (dir.path / name).string() + ":";
    const auto at = r.err.find(prefix);
    REQUIRE(at != std::string::npos);
    const auto rest = r.err.substr(at + prefix.size());
    CHECK(std::isdigit(static_cast<unsigned char>(rest[0])));
    CHECK(rest.find(": ") < rest.find('\n'));
  }
  auto none = run_sesami_err({"events", "--db", db, "--json"});
  CHECK(none.out.empty());
  // JSON Lines: the bad line is named by number; its good neighbours are stored, it is not.
  std::string lines;
  auto compact = [](const std::string& t) { return json::serialize(json::parse(t)); };
  lines += compact(fixture("ses/event-send.json")) + "\n";
  lines += "{\"eventType\":\"Delivery\",\"mail\":\n";  // line 2: cut short
  lines += compact(fixture("ses/event-bounce.json")) + "\n";
  write_file(dir.path / "mixed.jsonl", lines);
  const auto db2 = (dir.path / "mixed.db").string();
  auto r = run_sesami_err({"import", "--db", db2, "--json", (dir.path / "mixed.jsonl").string()});
  CHECK(r.status == 1);
  CHECK(r.err.find("mixed.jsonl:2: ") != std::string::npos);
  auto ev = run_sesami_err({"events", "--db", db2, "--json"});
  REQUIRE(ev.status == 0);
  CHECK(std::count(ev.out.begin(), ev.out.end(), '\n') == 2);
}

TEST_CASE("bad input: header injection in POST /mail is a 400 before anything is sent",
          "[proof][bad_input]") {
  harness h;
  const auto key = h.ws.key;
  const std::string crlf_values[] = {"a\r\nBcc: victim@example.com", "a\nBcc: x@example.com",
                                     "a\rX-Injected: 1", "a\r\n\r\n<html>body</html>"};
  for (const auto& bad : crlf_values) {
    INFO(json::serialize(json::value(bad)));
    const json::object bodies[] = {
        {{"from", "sender@example.com"},
         {"to", json::array{"r@example.com"}},
         {"subject", bad},
         {"text", "hi"}},
        {{"from", "sender@example.com" + bad},
         {"to", json::array{"r@example.com"}},
         {"subject", "s"},
         {"text", "hi"}},
        {{"from", "Sender <sender@example.com>" + bad},
         {"to", json::array{"r@example.com"}},
         {"subject", "s"},
         {"text", "hi"}},
        {{"from", "sender@example.com"},
         {"to", json::array{"r@example.com" + bad}},
         {"subject", "s"},
         {"text", "hi"}},
        {{"from", "sender@example.com"},
         {"to", json::array{"r@example.com", bad + "@x.com"}},
         {"subject", "s"},
         {"text", "hi"}},
    };
    for (const auto& b : bodies) {
      INFO(json::serialize(b));
      auto r = h.c->request("POST", "/mail", json::serialize(b), bearer(key));
      check_clear_refusal(r);
      CHECK(json::parse(r.body).at("error").at("code").as_string().starts_with("validation."));
    }
  }
  CHECK(h.healthy());
  CHECK(all_events(*h.c, key).empty());  // nothing sent, so nothing recorded as sent
}

TEST_CASE("bad input: static files refuse traversal, encoded or not, and NULs",
          "[proof][bad_input]") {
  temp_dir dir;
  const auto web = dir.path / "web";
  std::filesystem::create_directories(web / "assets");
  write_file(web / "index.html", "<!doctype html><title>SESami</title>");
  write_file(web / "assets" / "app.js", "console.log(1)");
  write_file(dir.path / "secret.txt", "do not serve");
  server_process srv(dir.path, {"--static-dir", web.string()});
  for (const char* t :
       {"/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/%252e%252e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/..%5c..%5csecret.txt", "/index.html%00.js",
        "/assets/app.js%00", "/%00", "/..%00/secret.txt", "/%c0%ae%c0%ae/secret.txt",
        "/assets/....//....//secret.txt", "//etc/passwd", "/%2fetc%2fpasswd",
        "/assets/%2f%2e%2e%2f%2e%2e%2fsecret.txt", "/./assets/../../secret.txt",
        "/assets/.%2e/.%2e/secret.txt"}) {
    INFO(t);
    http_client c(srv.port());
    auto r = c.request("GET", t);
    CHECK(r.body.find("do not serve") == std::string::npos);
    CHECK(r.body.find("root:") == std::string::npos);
    if (r.status != 200) {
      CHECK(r.status >= 400);
      CHECK(r.status < 500);
      CHECK(r.header("content-type").starts_with("application/json"));
    } else {
      CHECK(r.body.find("SESami") != std::string::npos);  // only ever the app itself
    }
  }
  CHECK(http_client(srv.port()).request("GET", "/health").status == 200);
}

TEST_CASE("bad input: oversized bodies are 413 however they are framed", "[proof][bad_input]") {
  harness h({"--body-limit", "65536"});
  const std::string path = "/ingest/eventbridge/" + h.ws.token;
  SECTION("Content-Length over the limit is refused before the body is read") {
    http_client c(h.srv->port());
    auto out = c.raw("POST " + path +
                     " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 10000000000\r\n\r\n{");
    CHECK(out.starts_with("HTTP/1.1 413"));
    CHECK(out.find("\"error\"") != std::string::npos);
  }
  SECTION("a chunked body that grows past the limit") {
    http_client c(h.srv->port());
    std::string req = "POST " + path +
                      " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n";
    const std::string chunk(16384, ' ');
    for (int i = 0; i < 6; ++i) req += "4000\r\n" + chunk + "\r\n";
    req += "0\r\n\r\n";
    auto out = c.raw(req);
    CHECK(out.starts_with("HTTP/1.1 413"));
  }
  SECTION("a CSV suppression import over the limit") {
    std::string csv = "address,reason\n";
    while (csv.size() < 70000)
      csv += "someone" + std::to_string(csv.size()) + "@example.com,manual\n";
    auto r = h.c->request("POST", "/suppression-list", csv,
                          {{"Authorization", "Bearer " + h.ws.key}, {"Content-Type", "text/csv"}});
    check_clear_refusal(r, 413);
    auto list =
        http_client(h.srv->port()).request("GET", "/suppression-list", "", bearer(h.ws.key));
    CHECK(json::parse(list.body).at("entries").as_array().empty());
  }
  CHECK(h.healthy());
  http_client fresh(h.srv->port());
  CHECK(all_events(fresh, h.ws.key).empty());
}

TEST_CASE("bad input: slow clients (slowloris) time out while others are served",
          "[proof][bad_input]") {
  harness h({"--request-timeout-ms", "1500"});
  const auto port = h.srv->port();
  const std::string path = "/ingest/eventbridge/" + h.ws.token;
  // Header trickle: a byte every 100 ms keeps each connection busy but never finishes; body
  // trickle: a complete header, then the body a byte at a time.
  std::vector<std::unique_ptr<http_client>> slow;
  for (int i = 0; i < 16; ++i) slow.push_back(std::make_unique<http_client>(port));
  const std::string header = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a');
  const std::string body_header = "POST " + path +
                                  " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "X-Sesami-Secret: " +
                                  h.ws.secret + "\r\nContent-Length: 5000\r\n\r\n";
  for (int i = 8; i < 16; ++i) slow[i]->send(body_header);
  const auto start = std::chrono::steady_clock::now();
  std::vector<bool> closed(slow.size(), false);
  bool served_meanwhile = true;
  for (std::size_t step = 0; step < 40; ++step) {  // 4 s of trickling, past the 1.5 s limit
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (closed[i]) continue;
      try {
        slow[i]->send(i < 8 ? std::string(1, header[step % header.size()]) : std::string("{"));
      } catch (const std::exception&) {
        closed[i] = true;  // the server hung up
      }
    }
    if (step % 5 == 0)
      served_meanwhile =
          served_meanwhile && http_client(port).request("GET", "/health").status == 200;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(served_meanwhile);
  (void)start;
  // Every trickler is cut off (read returns when the server closes), none got a 200.
  for (auto& s : slow) {
    const auto got = s->read_until_closed();
    CHECK(got.find(" 200 ") == std::string::npos);
  }
  CHECK(h.healthy());
  http_client fresh(port);
  CHECK(all_events(fresh, h.ws.key).empty());
}

TEST_CASE("bad input: query parameters of every read route are a clear 400, never a 5xx",
          "[proof][bad_input]") {
  harness h;
  REQUIRE(h.post(fixture("eventbridge/event-delivery.json")).status == 200);
  const std::string long_value(100'000, 'x');
  const char* bad[] = {
      "/events?limit=abc",
      "/events?limit=0",
      "/events?limit=-1",
      "/events?limit=99999999999999999999999",
      "/events?limit=1e3",
      "/events?from=yesterday",
      "/events?from=2026-13-01",
      "/events?to=2016-10-19T25:00:00Z",
      "/events?type=teleport",
      "/events?machine=maybe",
      "/events?status=confused",
      "/events?cursor=garbage",
      "/events?cursor=%ff%fe",
      "/events?unknown=1",
      "/events?tag=novalue",
      "/stats?bucket=century",
      "/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
      "/stats?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z&bucket=hour",
      "/stats?offsetMinutes=100000",
      "/suppression-list?limit=-1",
      "/suppression-list?format=xml",
      "/suppression-list?cursor=%00",
  };
  for (const char* t : bad) {
    INFO(t);
    auto r = h.c->request("GET", t, "", bearer(h.ws.key));
    check_clear_refusal(r);
  }
  // Oddities that are not errors must still be answered, not crash anything.
  const std::vector<std::string> odd = {"/events?recipient=",
                                        "/events?messageId=" + long_value,
                                        "/events?recipient=%2A%2A%2A",
                                        "/events?type=bounce,,complaint",
                                        "/recipients/" + long_value + "%40example.com",
                                        "/messages/%E2%80%AE",
                                        "/events?limit=1&limit=2"};
  for (const auto& t : odd) {
    INFO(t.substr(0, 80));
    http_client c(h.srv->port());  // a 431 (target over the header limit) closes the connection
    auto r = c.request("GET", t, "", bearer(h.ws.key));
    CHECK(r.status < 500);
    if (r.status >= 400) check_clear_refusal(r, r.status);
  }
  CHECK(h.healthy());
}

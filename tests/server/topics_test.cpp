// Topics and preferences (issue #20) over a real server: a topic's one-click link stops that topic
// only, transactional mail still goes, the signed preference page re-subscribes and refuses
// forgeries; contacts' CSV import names its bad lines and writes nothing; the suppression list
// keeps an imported bounce's own date and lets an admin edit the reason. Runs on SQLite and, as
// server:pg:*, on PostgreSQL.
#include <chrono>
#include <regex>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

struct client {
  http_client c;
  std::string key;
  headers h(const std::string& type = "application/json") const {
    return {{"Authorization", "Bearer " + key}, {"Content-Type", type}};
  }
  http_response post(const std::string& path, const json::value& body) {
    return c.request("POST", path, json::serialize(body), h());
  }
  http_response send(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& type = "application/json") {
    return c.request(method, path, body, h(type));
  }
  http_response get(const std::string& path) { return c.request("GET", path, "", h()); }
};

std::string new_workspace(const std::string& db, const std::string& name) {
  auto r = run_sesami({"workspace", "create", name, "--db", db, "--json"});
  REQUIRE(r.status == 0);
  return s(json::parse(r.out).at("apiKey"));
}

json::object mail_to(std::vector<std::string> to, std::optional<std::string> topic) {
  json::array a;
  for (auto& t : to) a.push_back(json::value(t));
  json::object o{{"from", "Shop <shop@example.com>"},
                 {"to", std::move(a)},
                 {"subject", "Hello"},
                 {"text", "Hi"}};
  if (topic) o["topic"] = *topic;
  return o;
}

// The path of a link ("https://mail.example.net/unsubscribe/T" → "/unsubscribe/T").
std::string path_of(const std::string& url) {
  const auto p = url.find("/unsubscribe/");
  REQUIRE(p != std::string::npos);
  return url.substr(p);
}

std::string status_of(client& c, const std::string& address, const std::string& topic) {
  auto r = c.get("/contacts/" + address);
  if (r.status == 404) return "none";
  REQUIRE(r.status == 200);
  return s(parse(r).at("topics").at(topic));
}

const std::string form_type = "application/x-www-form-urlencoded";

// The hidden form token of a preference page.
std::string form_token_of(const std::string& html) {
  std::smatch m;
  REQUIRE(std::regex_search(html, m, std::regex("name=\"form\" value=\"([A-Za-z0-9_-]+)\"")));
  return m[1];
}

// base64url without padding, for forging tokens.
std::string b64url_decode(const std::string& in) {
  static const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  int val = 0, bits = -8;
  for (char ch : in) {
    const auto p = abc.find(ch);
    REQUIRE(p != std::string::npos);
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}
std::string b64url_encode(const std::string& in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char ch : in) {
    val = (val << 8) + ch;
    bits += 8;
    while (bits >= 0) {
      out.push_back(abc[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(abc[((val << 8) >> (bits + 8)) & 0x3F]);
  return out;
}

}  // namespace

TEST_CASE(
    "topics: the one-click link of a topic mail stops that topic only and transactional mail still "
    "goes",
    "[topics]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  server_process srv(dir.path, {"--public-url", "https://mail.example.net/"}, db);
  client c{http_client(srv.port()), new_workspace(db, "shop")};

  REQUIRE(c.post("/topics", {{"name", "news"}, {"description", "Monthly news"}}).status == 201);
  REQUIRE(c.post("/topics", {{"name", "offers"}, {"defaultSubscribed", false}}).status == 201);
  CHECK(code_of(c.post("/topics", {{"name", "news"}})) == "topics.exists");
  CHECK(code_of(c.post("/topics", {{"name", "bad name"}})) == "validation.name");
  auto listed = parse(c.get("/topics")).at("topics").as_array();
  REQUIRE(listed.size() == 2);
  CHECK(listed[1].at("defaultSubscribed") == false);

  // A news mail carries a link for news only.
  auto first = c.post("/mail", mail_to({"ann@example.com"}, "news"));
  REQUIRE(first.status == 200);
  const auto link = s(parse(first).at("listUnsubscribe"));
  http_client anon(srv.port());
  auto one = anon.request("POST", path_of(link), "List-Unsubscribe=One-Click",
                          {{"Content-Type", form_type}});
  REQUIRE(one.status == 200);
  CHECK(one.body.find("unsubscribed from news") != std::string::npos);
  CHECK(status_of(c, "ann@example.com", "news") == "unsubscribed");
  CHECK(status_of(c, "ann@example.com", "offers") == "unsubscribed");  // the default

  // News no longer reaches her, reported like a suppression; other mail does.
  auto blocked = c.post("/mail", mail_to({"ann@example.com"}, "news"));
  REQUIRE(blocked.status == 422);
  CHECK(code_of(blocked) == "mail.all_suppressed");
  auto supp = parse(blocked).at("error").at("suppressed").as_array();
  REQUIRE(supp.size() == 1);
  CHECK(s(supp[0].at("reason")) == "unsubscribed:news");
  auto receipt = c.post("/mail", mail_to({"ann@example.com"}, std::nullopt));
  REQUIRE(receipt.status == 200);
  CHECK(parse(receipt).at("sent").as_array().size() == 1);
  // Her choice is hers: bob still gets news; offers (default unsubscribed) goes to nobody.
  auto both = c.post("/mail", mail_to({"ann@example.com", "bob@example.com"}, "news"));
  REQUIRE(both.status == 200);
  CHECK(parse(both).at("sent") == json::array{"bob@example.com"});
  CHECK(s(parse(both).at("suppressed").at(0).at("address")) == "ann@example.com");
  auto offers = c.post("/mail", mail_to({"bob@example.com"}, "offers"));
  CHECK(offers.status == 422);
  CHECK(s(parse(offers).at("error").at("suppressed").at(0).at("reason")) == "unsubscribed:offers");
  CHECK(code_of(c.post("/mail", mail_to({"bob@example.com"}, "nope"))) == "validation.topic");

  // Bulk sends honour the topic per destination.
  REQUIRE(
      c.post("/templates", {{"name", "newsletter"}, {"subject", "Issue {{n}}"}, {"text", "#{{n}}"}})
          .status == 201);
  json::array dests{json::object{{"to", json::array{"ann@example.com"}}},
                    json::object{{"to", json::array{"bob@example.com"}}}};
  auto bulk = c.post("/mail/bulk", {{"from", "news@example.com"},
                                    {"template", {{"name", "newsletter"}}},
                                    {"destinations", dests},
                                    {"topic", "news"}});
  REQUIRE(bulk.status == 202);
  const auto id = s(parse(bulk).at("id"));
  json::value job;
  for (int i = 0; i < 600; ++i) {
    job = parse(c.get("/mail/bulk/" + id));
    if (job.at("status") == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(job.at("status") == "done");
  CHECK(job.at("sent") == 1);
  CHECK(job.at("suppressed") == 1);
  CHECK(code_of(c.post("/mail/bulk", {{"from", "news@example.com"},
                                      {"template", {{"name", "newsletter"}}},
                                      {"destinations", dests},
                                      {"topic", "nope"}})) == "validation.topic");

  // The link of a mail without a topic still stops everything (the suppression list).
  auto plain = c.post("/mail", mail_to({"bob@example.com"}, std::nullopt));
  REQUIRE(plain.status == 200);
  REQUIRE(anon.request("POST", path_of(s(parse(plain).at("listUnsubscribe"))),
                       "List-Unsubscribe=One-Click", {{"Content-Type", form_type}})
              .status == 200);
  CHECK(c.post("/mail", mail_to({"bob@example.com"}, std::nullopt)).status == 422);
}

TEST_CASE("topics: the signed preference page re-subscribes and refuses forgeries",
          "[topics][security]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  server_process srv(dir.path, {"--public-url", "https://mail.example.net/"}, db);
  client c{http_client(srv.port()), new_workspace(db, "shop")};
  REQUIRE(c.post("/topics", {{"name", "news"}}).status == 201);
  REQUIRE(c.post("/topics", {{"name", "offers"}}).status == 201);
  REQUIRE(
      c.send("PUT", "/contacts/bob@example.com", R"({"topics":{"news":"subscribed"}})").status ==
      200);
  auto sent = c.post("/mail", mail_to({"ann@example.com"}, "news"));
  REQUIRE(sent.status == 200);
  const auto path = path_of(s(parse(sent).at("listUnsubscribe")));
  const auto token = path.substr(std::string("/unsubscribe/").size());
  http_client anon(srv.port());

  SECTION("a link moved to another topic, or stripped of its topic, is refused") {
    const auto dot = token.find('.');
    const auto payload = b64url_decode(token.substr(0, dot));
    REQUIRE(payload.ends_with(std::string(1, '\0') + "news"));
    const auto mac = token.substr(dot);
    const std::string forged[] = {
        b64url_encode(payload.substr(0, payload.size() - 4) + "offers") + mac,
        b64url_encode(payload.substr(0, payload.size() - 5)) + mac,  // no topic: stop everything
        b64url_encode(payload.substr(0, payload.size() - 5 - 15) + "bob@example.com" +
                      std::string(1, '\0') + "news") +
            mac};
    for (const auto& f : forged) {
      auto x = anon.request("POST", "/unsubscribe/" + f, "List-Unsubscribe=One-Click",
                            {{"Content-Type", form_type}});
      CHECK(x.status == 400);
      CHECK(code_of(x) == "unsubscribe.bad_token");
      CHECK(anon.request("GET", "/unsubscribe/" + f).status == 400);
    }
    CHECK(status_of(c, "ann@example.com", "offers") == "none");
    CHECK(status_of(c, "bob@example.com", "news") == "subscribed");
    auto sup = parse(c.get("/suppression-list")).at("entries").as_array();
    CHECK(sup.empty());
  }

  SECTION("the page shows one address, and its forms change that address only") {
    auto page = anon.request("GET", path);
    REQUIRE(page.status == 200);
    CHECK(page.body.find("ann@example.com") != std::string::npos);
    CHECK(page.body.find("bob@example.com") == std::string::npos);
    CHECK(page.header("content-security-policy").find("default-src 'none'") != std::string::npos);
    const auto form = form_token_of(page.body);

    // RFC 8058's one-click comes from anywhere (mail providers' servers, their web clients).
    REQUIRE(anon.request("POST", path, "List-Unsubscribe=One-Click",
                         {{"Content-Type", form_type}, {"Origin", "https://webmail.example"}})
                .status == 200);
    REQUIRE(status_of(c, "ann@example.com", "news") == "unsubscribed");

    // Another site's post, a post without the page's form token, or with another link's: refused.
    const std::string resub = "form=" + form + "&action=save&shown=news&shown=offers&topic=news";
    auto cross = anon.request("POST", path, resub,
                              {{"Content-Type", form_type}, {"Origin", "https://evil.example"}});
    CHECK(cross.status == 403);
    CHECK(code_of(cross) == "unsubscribe.foreign_origin");
    auto fetch_site = anon.request("POST", path, resub,
                                   {{"Content-Type", form_type}, {"Sec-Fetch-Site", "cross-site"}});
    CHECK(fetch_site.status == 403);
    auto no_form = anon.request("POST", path, "action=save&shown=news&topic=news",
                                {{"Content-Type", form_type}});
    CHECK(no_form.status == 403);
    CHECK(code_of(no_form) == "unsubscribe.bad_form");
    CHECK(status_of(c, "ann@example.com", "news") == "unsubscribed");

    // The page's own form (same origin): news back, offers off; an address in the form is ignored.
    auto ok = anon.request(
        "POST", path,
        "form=" + form +
            "&action=save&shown=news&shown=offers&topic=news&address=bob%40example.com",
        {{"Content-Type", form_type}, {"Origin", "https://mail.example.net"}});
    REQUIRE(ok.status == 200);
    CHECK(ok.body.find("preferences are saved") != std::string::npos);
    CHECK(status_of(c, "ann@example.com", "news") == "subscribed");
    CHECK(status_of(c, "ann@example.com", "offers") == "unsubscribed");
    CHECK(status_of(c, "bob@example.com", "news") == "subscribed");
    CHECK(status_of(c, "bob@example.com", "offers") == "subscribed");
    CHECK(c.post("/mail", mail_to({"ann@example.com"}, "news")).status == 200);
  }

  SECTION("a stop-everything link's page offers to receive mail again") {
    auto plain = c.post("/mail", mail_to({"ann@example.com"}, std::nullopt));
    const auto p2 = path_of(s(parse(plain).at("listUnsubscribe")));
    REQUIRE(anon.request("POST", p2, "List-Unsubscribe=One-Click", {{"Content-Type", form_type}})
                .status == 200);
    CHECK(c.post("/mail", mail_to({"ann@example.com"}, "news")).status == 422);
    auto page = anon.request("GET", p2);
    REQUIRE(page.body.find("Receive mail again") != std::string::npos);
    auto back = anon.request("POST", p2, "form=" + form_token_of(page.body) + "&action=resubscribe",
                             {{"Content-Type", form_type}});
    REQUIRE(back.status == 200);
    CHECK(c.post("/mail", mail_to({"ann@example.com"}, "news")).status == 200);
    // A bounce is not the recipient's to undo.
    REQUIRE(c.post("/suppression-list", {{"address", "ann@example.com"}, {"reason", "hard-bounce"}})
                .status == 201);
    auto again = anon.request("GET", p2);
    CHECK(again.body.find("Receive mail again") == std::string::npos);
    anon.request("POST", p2, "form=" + form_token_of(page.body) + "&action=resubscribe",
                 {{"Content-Type", form_type}});
    CHECK(c.post("/mail", mail_to({"ann@example.com"}, std::nullopt)).status == 422);
  }
}

TEST_CASE(
    "contacts: CSV import names its bad lines and writes nothing and export search and paging work",
    "[topics]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  server_process srv(dir.path, {}, db);
  client c{http_client(srv.port()), new_workspace(db, "shop")};
  REQUIRE(c.post("/topics", {{"name", "news"}}).status == 201);
  REQUIRE(c.post("/topics", {{"name", "offers"}, {"defaultSubscribed", false}}).status == 201);

  auto bad = c.send("POST", "/contacts/import",
                    "address,news,offers\n"
                    "ann@example.com,subscribed,\n"
                    "not-an-address,subscribed,\n"
                    "bob@example.com,maybe,unsubscribed\n"
                    "cy@example.com,subscribed\n",
                    "text/csv");
  REQUIRE(bad.status == 400);
  CHECK(code_of(bad) == "validation.csv");
  auto problems = parse(bad).at("error").at("problems").as_array();
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].at("line") == 3);
  CHECK(problems[1].at("line") == 4);
  CHECK(problems[2].at("line") == 5);
  CHECK(parse(c.get("/contacts")).at("contacts").as_array().empty());  // nothing half-written
  auto unknown =
      c.send("POST", "/contacts/import", "address,nope\nann@example.com,subscribed\n", "text/csv");
  CHECK(unknown.status == 400);
  CHECK(parse(unknown).at("error").at("problems").at(0).at("line") == 1);

  const std::string good =
      "address,news,offers\r\n"
      "ann@example.com,subscribed,\r\n"
      "bob@example.com,unsubscribed,subscribed\r\n"
      "cy@example.org,,subscribed\r\n";
  auto ok = c.send("POST", "/contacts/import", good, "text/csv");
  REQUIRE(ok.status == 200);
  CHECK(parse(ok).at("imported") == 3);
  auto exported = c.get("/contacts/export");
  REQUIRE(exported.status == 200);
  CHECK(exported.header("content-type").starts_with("text/csv"));
  CHECK(exported.body == good);
  CHECK(status_of(c, "bob@example.com", "news") == "unsubscribed");
  CHECK(status_of(c, "cy@example.org", "news") == "subscribed");  // the default

  auto found = parse(c.get("/contacts?contains=example.com")).at("contacts").as_array();
  CHECK(found.size() == 2);
  auto p1 = parse(c.get("/contacts?limit=2"));
  CHECK(p1.at("contacts").as_array().size() == 2);
  auto p2 = parse(c.get("/contacts?limit=2&cursor=" + s(p1.at("next"))));
  CHECK(p2.at("contacts").as_array().size() == 1);
  CHECK(p2.at("next").is_null());

  CHECK(code_of(c.send("PUT", "/contacts/ann@example.com",
                       R"({"topics":{"nope":"subscribed"}})")) == "validation.topics");
  auto put = c.send("PUT", "/contacts/ann@example.com", R"({"topics":{"offers":"subscribed"}})");
  REQUIRE(put.status == 200);
  CHECK(s(parse(put).at("topics").at("offers")) == "subscribed");
  CHECK(parse(put).at("choices").as_object().size() == 1);  // PUT replaces: news back to default
  CHECK(c.send("DELETE", "/topics/offers", "").status == 204);
  CHECK(parse(c.get("/contacts/ann@example.com")).at("choices").as_object().empty());
  CHECK(c.send("DELETE", "/contacts/ann@example.com", "").status == 204);
  CHECK(c.get("/contacts/ann@example.com").status == 404);
}

TEST_CASE(
    "suppression: an imported old bounce keeps its date and its reason can be edited and filtered",
    "[topics][suppression]") {
  temp_dir dir;
  const auto db = test_db(dir.path);
  server_process srv(dir.path, {}, db);
  client c{http_client(srv.port()), new_workspace(db, "shop")};
  const auto file = dir.path / "old-bounce.json";
  write_file(file,
             read_file(fs::path(SESAMI_FIXTURES_DIR) / "ses" / "notification-bounce-dsn.json"));
  auto imp = run_sesami({"import", "--db", db, "-w", "shop", file.string()});
  REQUIRE(imp.status == 0);

  auto list = parse(c.get("/suppression-list")).at("entries").as_array();
  REQUIRE(list.size() == 1);
  CHECK(s(list[0].at("address")) == "jane@example.com");
  CHECK(s(list[0].at("createdAt")).starts_with("2016-01-27T14:59:38"));  // the bounce's, not today
  const auto reason = s(list[0].at("reason"));

  REQUIRE(c.post("/suppression-list", {{"address", "x@example.com"}, {"reason", "asked by phone"}})
              .status == 201);
  auto patched =
      c.send("PATCH", "/suppression-list/jane@example.com", R"({"reason":"left the company"})");
  REQUIRE(patched.status == 200);
  CHECK(s(parse(patched).at("reason")) == "left the company");
  CHECK(s(parse(patched).at("source")) == "event");
  CHECK(s(parse(patched).at("createdAt")).starts_with("2016-01-27"));
  CHECK(c.send("PATCH", "/suppression-list/nobody@example.com", R"({"reason":"x"})").status == 404);
  CHECK(code_of(c.send("PATCH", "/suppression-list/jane@example.com", R"({"reason":""})")) ==
        "validation.reason");
  CHECK(code_of(c.send("PATCH", "/suppression-list/jane@example.com",
                       R"({"reason":"x","source":"manual"})")) == "validation.field");

  auto by_source = parse(c.get("/suppression-list?source=event")).at("entries").as_array();
  REQUIRE(by_source.size() == 1);
  CHECK(s(by_source[0].at("address")) == "jane@example.com");
  auto by_reason =
      parse(c.get("/suppression-list?reason=asked%20by%20phone")).at("entries").as_array();
  REQUIRE(by_reason.size() == 1);
  CHECK(s(by_reason[0].at("address")) == "x@example.com");
  CHECK(parse(c.get("/suppression-list?reason=" + reason)).at("entries").as_array().empty());
  CHECK(code_of(c.get("/suppression-list?source=elsewhere")) == "validation.source");
}
